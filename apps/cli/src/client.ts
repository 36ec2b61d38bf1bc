/** The REST API as the CLI sees it: base URL, bearer token, JSON in and out. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 3,
  ) {
    super(message);
  }
}

export interface ApiClient {
  readonly url: string;
  json<T>(method: string, path: string, body?: unknown): Promise<T>;
  /** The raw response (for text and streams); throws CliError on 4xx/5xx. */
  raw(path: string, init?: RequestInit): Promise<Response>;
}

export function createClient(url: string, token: string): ApiClient {
  const base = url.replace(/\/+$/, '');
  async function raw(path: string, init: RequestInit = {}): Promise<Response> {
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, ...(init.headers ?? {}) } });
    } catch (err) {
      const cause = (err as Error & { cause?: Error }).cause?.message ?? (err as Error).message;
      throw new CliError(`cannot reach Archway at ${base}: ${cause} (set ARCHWAY_URL or --url)`);
    }
    if (res.ok) return res;
    const text = await res.text().catch(() => '');
    let message = text || res.statusText;
    try {
      message = (JSON.parse(text) as { message?: string }).message ?? message;
    } catch {
      /* not JSON */
    }
    const hint = res.status === 401 ? ' (set ARCHWAY_TOKEN or --token to an API token)' : '';
    throw new CliError(`${init.method ?? 'GET'} ${path}: ${res.status} ${message}${hint}`);
  }
  return {
    url: base,
    raw,
    async json<T>(method: string, path: string, body?: unknown): Promise<T> {
      const res = await raw(path, {
        method,
        ...(body !== undefined ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}),
      });
      return (await res.json()) as T;
    },
  };
}
