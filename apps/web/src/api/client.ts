import type { ApiError } from '@archway/contract';

/**
 * The one place the dashboard talks HTTP. Requests are same-origin and authenticated by the
 * httpOnly session cookie; mutations carry the session's CSRF token in a header, which a
 * cross-site page cannot read or forge.
 */
let csrfToken: string | null = null;
const unauthorizedListeners = new Set<() => void>();

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Called when any request comes back 401 (session expired or revoked). */
export function onUnauthorized(listener: () => void): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

export class ApiRequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'ApiRequestError';
  }
}

export async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiRequestError(0, 'The Archway API cannot be reached. Check that the server is running.');
  }
  if (res.status === 401 && !path.endsWith('/session')) {
    for (const l of unauthorizedListeners) l();
  }
  if (!res.ok) throw await toError(res);
  if (res.status === 204) return undefined as T;
  const type = res.headers.get('content-type') ?? '';
  return (type.includes('json') ? await res.json() : await res.text()) as T;
}

async function toError(res: Response): Promise<ApiRequestError> {
  try {
    const body = (await res.json()) as Partial<ApiError>;
    const detail = body.issues?.map((i) => `${i.path}: ${i.message}`).join('; ');
    const message = body.message ?? body.error ?? res.statusText;
    return new ApiRequestError(res.status, detail && !message.includes(detail) ? `${message} (${detail})` : message, body.field);
  } catch {
    return new ApiRequestError(res.status, `${res.status} ${res.statusText}`.trim());
  }
}
