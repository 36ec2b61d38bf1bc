import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

// Compare-and-act scripts: a holder whose lease expired must not extend or free someone else's.
const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

/**
 * Runs `work` only if this process obtains the lease on `key` (SET NX PX); returns undefined
 * when another holder has it. The lease is renewed while `work` runs; if a renewal finds it lost
 * (Redis restarted, the process stalled past the TTL) the signal aborts so `work` stops early.
 */
export async function withLock<T>(
  redis: Redis,
  key: string,
  work: (signal: AbortSignal) => Promise<T>,
  opts: { ttlMs?: number } = {},
): Promise<{ ran: true; value: T } | { ran: false }> {
  const ttlMs = opts.ttlMs ?? 60_000;
  const token = randomUUID();
  const ok = await redis.set(key, token, 'PX', ttlMs, 'NX');
  if (ok !== 'OK') return { ran: false };
  const lost = new AbortController();
  const timer = setInterval(
    () => {
      redis
        .eval(RENEW, 1, key, token, String(ttlMs))
        .then((r) => {
          if (r !== 1) lost.abort(new Error(`lost the lock ${key}`));
        })
        .catch(() => {}); // a missed renewal is retried on the next tick; the TTL covers two more
    },
    Math.max(Math.floor(ttlMs / 3), 10),
  );
  try {
    return { ran: true, value: await work(lost.signal) };
  } finally {
    clearInterval(timer);
    await redis.eval(RELEASE, 1, key, token).catch(() => {}); // expires by itself otherwise
  }
}
