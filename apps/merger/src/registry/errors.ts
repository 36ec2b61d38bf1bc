/**
 * Every failure of the registry client is a RegistryError. `retryable` separates what a later
 * attempt may fix (5xx, 429, connection errors) from what it cannot (refused credentials, a
 * manifest the registry rejects): the merger maps the latter to a final build failure.
 */
export class RegistryError extends Error {
  constructor(
    message: string,
    readonly opts: { status?: number; retryable: boolean; cause?: unknown },
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'RegistryError';
  }
  get status(): number | undefined {
    return this.opts.status;
  }
  get retryable(): boolean {
    return this.opts.retryable;
  }
}

export function isRetryableStatus(status: number): boolean {
  return status >= 500 || status === 429 || status === 408;
}

/**
 * Rejections that distribution registries answer under concurrent pushes to one repository and
 * that a later try gets past: `DIGEST_INVALID` when two uploads of the same blob race,
 * `MANIFEST_BLOB_UNKNOWN` / `BLOB_UNKNOWN` while a just-uploaded blob is not visible yet (seen under
 * load, and with eventually consistent storage behind the registry). Our own bytes are checked
 * against their digests while they stream, so a real corruption never gets this far.
 */
const TRANSIENT_REJECTIONS = ['DIGEST_INVALID', 'MANIFEST_BLOB_UNKNOWN', 'BLOB_UNKNOWN', 'BLOB_UPLOAD_UNKNOWN'];

export function isTransientRejection(status: number, detail: string): boolean {
  return (status === 400 || status === 404) && TRANSIENT_REJECTIONS.some((code) => detail.startsWith(code) || detail.includes(`; ${code}`));
}

/**
 * A short, credential-free summary of an error body: the OCI error list
 * (`{"errors":[{"code","message"}]}`) when there is one, else the first line of text.
 */
export async function describeBody(res: { status: number; text(): Promise<string> }): Promise<string> {
  let text = '';
  try {
    text = (await res.text()).slice(0, 2000);
  } catch {
    return '';
  }
  try {
    const json = JSON.parse(text) as { errors?: { code?: string; message?: string }[] };
    if (Array.isArray(json.errors) && json.errors.length > 0) {
      return json.errors.map((e) => [e.code, e.message].filter(Boolean).join(' ')).join('; ');
    }
  } catch {
    /* not JSON */
  }
  const line = text.split('\n')[0]?.trim();
  return line ? line.slice(0, 200) : (STATUS_TEXT[res.status] ?? '');
}

/** `network` errors from fetch carry the interesting part (ECONNREFUSED, cert errors) in `cause`. */
export function describeNetworkError(err: unknown): string {
  const e = err as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  for (const x of [e.cause, e]) {
    if (x?.code && x.message) return x.message.includes(x.code) ? x.message : `${x.code}: ${x.message}`;
  }
  return e.cause?.message ?? e.message ?? String(err);
}

const STATUS_TEXT: Record<number, string> = { 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 429: 'Too Many Requests' };
