/**
 * How long a registry asks us to wait: `Retry-After` (seconds or an HTTP date) on 429/503, and
 * the RateLimit headers when the budget is used up — Docker Hub's `RateLimit-Remaining: 0;w=21600`
 * and the IETF draft's `RateLimit-Reset: <seconds>` or `RateLimit: limit=…, remaining=0, reset=…`.
 * Returns ms, or undefined when nothing asks for a pause.
 */
export function retryAfterMs(headers: Headers, now = Date.now()): number | undefined {
  const value = headers.get('retry-after');
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export function rateLimitPauseMs(headers: Headers): number | undefined {
  const combined = headers.get('ratelimit');
  if (combined) {
    const fields = Object.fromEntries(combined.split(/[,;]/).map((p) => p.trim().split('=') as [string, string]));
    if (Number(fields.remaining) === 0) return Number(fields.reset ?? 60) * 1000;
  }
  const remaining = headers.get('ratelimit-remaining');
  if (remaining === null) return undefined;
  const [count, ...params] = remaining.split(';').map((p) => p.trim());
  if (Number(count) !== 0) return undefined;
  const reset = Number(headers.get('ratelimit-reset'));
  if (Number.isFinite(reset) && reset > 0) return reset * 1000;
  const window = params.find((p) => p.startsWith('w='));
  return window ? Number(window.slice(2)) * 1000 : 60_000;
}
