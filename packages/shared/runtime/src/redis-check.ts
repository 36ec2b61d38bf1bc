import type { Redis } from 'ioredis';

/**
 * What BullMQ needs from the Redis it is given (docs/redis.md), checked once at every process's
 * start: `maxmemory-policy noeviction` (an evicted job, lock or flow link is a build that never
 * ends) and persistence (a restart without AOF loses every queued job). Read with INFO, which
 * managed Redis services allow where CONFIG is disabled.
 */

/** The Redis would evict queue data; refused unless ARCHWAY_REDIS_ALLOW_EVICTION=true. Exit code 2. */
export class RedisSetupError extends Error {}

export interface RedisCheck {
  /** `maxmemory_policy` as INFO reports it; undefined when it could not be read. */
  policy?: string;
  aof?: boolean;
}

export const ALLOW_EVICTION_VARIABLE = 'ARCHWAY_REDIS_ALLOW_EVICTION';

/**
 * Reads the policy and AOF state within `timeoutMs`; refuses (RedisSetupError) a policy other than
 * noeviction, warns when AOF is off or the state cannot be read. Never waits longer than
 * `timeoutMs` (a client that queues commands until Redis answers would otherwise hold the start).
 */
export async function checkRedisForQueues(
  redis: Redis,
  opts: { warn: (message: string) => void; env?: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<RedisCheck> {
  const env = opts.env ?? process.env;
  const allow = env[ALLOW_EVICTION_VARIABLE] || 'false';
  if (allow !== 'true' && allow !== 'false') throw new RedisSetupError(`${ALLOW_EVICTION_VARIABLE} must be true or false, got "${allow}"`);
  let info: string;
  try {
    info = await within(
      Promise.all([redis.info('memory'), redis.info('persistence')]).then((parts) => parts.join('\n')),
      opts.timeoutMs ?? 5000,
    );
  } catch (err) {
    opts.warn(`could not check the Redis configuration BullMQ needs (maxmemory-policy noeviction, AOF): ${(err as Error).message}`);
    return {};
  }
  const field = (name: string) => new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1]?.trim();
  const policy = field('maxmemory_policy');
  const aofField = field('aof_enabled');
  const aof = aofField === undefined ? undefined : aofField === '1';
  if (policy !== undefined && policy !== 'noeviction') {
    const message = `Redis has maxmemory-policy ${policy}: it may evict BullMQ's jobs and locks, leaving builds that never end. Set maxmemory-policy noeviction (docs/redis.md)`;
    if (allow !== 'true') throw new RedisSetupError(`${message}, or ${ALLOW_EVICTION_VARIABLE}=true to run anyway.`);
    opts.warn(`${message}; running anyway (${ALLOW_EVICTION_VARIABLE}=true).`);
  }
  if (aof === false)
    opts.warn('Redis runs without AOF (appendonly no): a Redis restart loses every queued and running build. Set appendonly yes (docs/redis.md).');
  return { policy, aof };
}

function within<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`Redis did not answer INFO within ${ms} ms`)), ms)));
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}
