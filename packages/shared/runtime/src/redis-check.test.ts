import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { throwawayRedis } from '../../../../test/support/throwaway-redis.ts';
import { freePort } from './free-port.ts';
import { checkRedisForQueues, RedisSetupError } from './redis-check.ts';

describe('checkRedisForQueues (what BullMQ needs from Redis)', () => {
  let server: Awaited<ReturnType<typeof throwawayRedis>>;
  let redis: Redis;
  beforeAll(async () => {
    server = await throwawayRedis();
    redis = new Redis(server.url, { maxRetriesPerRequest: null });
  });
  afterAll(async () => {
    redis?.disconnect();
    await server?.kill();
  });

  const check = async (env: NodeJS.ProcessEnv = {}) => {
    const warnings: string[] = [];
    const result = await checkRedisForQueues(redis, { warn: (m) => warnings.push(m), env });
    return { result, warnings };
  };

  it('accepts noeviction with AOF silently and reports both', async () => {
    await redis.config('SET', 'maxmemory-policy', 'noeviction');
    await redis.config('SET', 'appendonly', 'yes');
    expect(await check()).toEqual({ result: { policy: 'noeviction', aof: true }, warnings: [] });
  });

  it('warns when AOF is off', async () => {
    await redis.config('SET', 'maxmemory-policy', 'noeviction');
    await redis.config('SET', 'appendonly', 'no');
    const { result, warnings } = await check();
    expect(result).toEqual({ policy: 'noeviction', aof: false });
    expect(warnings).toEqual([
      'Redis runs without AOF (appendonly no): a Redis restart loses every queued and running build. Set appendonly yes (docs/redis.md).',
    ]);
  });

  it('refuses an evicting policy, naming it and the override; with the override it warns', async () => {
    await redis.config('SET', 'maxmemory-policy', 'allkeys-lru');
    const refused = check().catch((err: unknown) => err);
    await expect(refused).resolves.toBeInstanceOf(RedisSetupError);
    expect(((await refused) as Error).message).toBe(
      "Redis has maxmemory-policy allkeys-lru: it may evict BullMQ's jobs and locks, leaving builds that never end. Set maxmemory-policy noeviction (docs/redis.md), or ARCHWAY_REDIS_ALLOW_EVICTION=true to run anyway.",
    );
    const { result, warnings } = await check({ ARCHWAY_REDIS_ALLOW_EVICTION: 'true' });
    expect(result.policy).toBe('allkeys-lru');
    expect(warnings[0]).toContain('running anyway (ARCHWAY_REDIS_ALLOW_EVICTION=true)');
    await expect(check({ ARCHWAY_REDIS_ALLOW_EVICTION: 'yes' })).rejects.toThrow('ARCHWAY_REDIS_ALLOW_EVICTION must be true or false, got "yes"');
  });

  it('warns and goes on, within its timeout, when Redis does not answer', async () => {
    const closed = new Redis(`redis://127.0.0.1:${await freePort()}`, { maxRetriesPerRequest: null, lazyConnect: true });
    closed.on('error', () => {});
    try {
      const warnings: string[] = [];
      const t0 = Date.now();
      expect(await checkRedisForQueues(closed, { warn: (m) => warnings.push(m), env: {}, timeoutMs: 500 })).toEqual({});
      expect(Date.now() - t0).toBeLessThan(5000);
      expect(warnings).toEqual([
        'could not check the Redis configuration BullMQ needs (maxmemory-policy noeviction, AOF): Redis did not answer INFO within 500 ms',
      ]);
    } finally {
      closed.disconnect();
    }
  });
});
