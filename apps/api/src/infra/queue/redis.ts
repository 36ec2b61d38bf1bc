import type { Redis } from 'ioredis';
import { formatDuration } from '@archway/contract';
import { connectRedis } from '@archway/runtime';

/**
 * API-side Redis clients fail fast: a request must not hang while Redis is away, it answers 503.
 * (Workers, which may wait, use `maxRetriesPerRequest: null` instead.)
 */
export const FAIL_FAST = { maxRetriesPerRequest: 1, enableOfflineQueue: false } as const;

export function createRedis(url: string, name = 'archway-api'): Redis {
  return connectRedis(url, { ...FAIL_FAST, connectionName: name, lazyConnect: false });
}

/** Resolves when the client can take commands (needed before the first one, as the offline queue is off). */
export function redisReady(redis: Redis, timeoutMs = 10_000): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`Redis not ready after ${formatDuration(timeoutMs)}`)), timeoutMs);
    const onReady = () => done();
    const onEnd = () => done(new Error('Redis connection closed before it was ready'));
    const onError = (err: Error) => (lastError = err);
    let lastError: Error | undefined;
    function done(err?: Error) {
      clearTimeout(timer);
      redis.off('ready', onReady).off('end', onEnd).off('error', onError);
      if (err) reject(lastError ? new Error(`${err.message}: ${lastError.message}`) : err);
      else resolve();
    }
    redis.on('ready', onReady).on('end', onEnd).on('error', onError);
  });
}

/**
 * A dedicated connection for one blocking reader or subscriber (XREAD BLOCK ties up its
 * connection), ready to use. The caller disconnects it.
 */
export async function dedicatedConnection(redis: Redis, name: string): Promise<Redis> {
  const conn = redis.duplicate({ connectionName: name });
  conn.on('error', () => {}); // surfaced through the failing command instead
  try {
    await redisReady(conn);
  } catch (err) {
    conn.disconnect();
    throw err;
  }
  return conn;
}
