import { redisKeys } from '@archway/contract';
import type { ObjectStore } from '@archway/runtime';
import { Queue, UnrecoverableError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { PrismaClient } from '../../generated/prisma/client.ts';
import { withLock } from './lock.ts';
import type { RetentionCounts, RetentionLog } from './log.ts';
import { describePolicy, type RetentionPolicy } from './policy.ts';
import { runRetention } from './run.ts';

export const MAINTENANCE_QUEUE = 'maintenance';
export const RETENTION_JOB = 'retention';

export interface RetentionDeps {
  prisma: PrismaClient;
  store: ObjectStore;
  policy: RetentionPolicy;
  /** Any client; the scheduler opens its own connections from it. */
  redis: Redis;
  /** ARCHWAY_QUEUE_PREFIX: the maintenance queue and the lock key live under it. */
  prefix: string;
  log: RetentionLog;
  batchSize?: number;
}

/**
 * One run under the `${prefix}:lock:retention` lease, so that API replicas (or a retried job
 * overlapping a late one) never work on the same builds at once. Null: another run holds it.
 */
export async function runRetentionExclusive(
  deps: Omit<RetentionDeps, 'redis'> & { redis: Redis; now?: Date; signal?: AbortSignal; lockTtlMs?: number },
): Promise<RetentionCounts | null> {
  const key = redisKeys(deps.prefix).lock('retention');
  const result = await withLock(deps.redis, key, (lost) => runRetention({ ...deps, signal: deps.signal ? AbortSignal.any([lost, deps.signal]) : lost }), {
    ttlMs: deps.lockTtlMs,
  });
  if (!result.ran) {
    deps.log.info({ lock: key }, 'retention: another run holds the lock; skipping');
    return null;
  }
  return result.value;
}

export interface RetentionService {
  close(): Promise<void>;
}

/**
 * Schedules retention as a BullMQ job scheduler on the `maintenance` queue: every replica
 * upserts the same scheduler (one job per interval, whoever takes it runs it) and runs a worker.
 */
export async function startRetention(deps: RetentionDeps): Promise<RetentionService> {
  // Workers block on Redis: they need a connection that waits instead of failing fast.
  const connection = deps.redis.duplicate({ maxRetriesPerRequest: null, enableOfflineQueue: true, connectionName: 'archway-retention' });
  connection.on('error', () => {}); // surfaced through failing commands and the worker's events
  const queue = new Queue(MAINTENANCE_QUEUE, { connection, prefix: deps.prefix });
  queue.on('error', () => {});
  const stopping = new AbortController();
  try {
    await queue.upsertJobScheduler(
      RETENTION_JOB,
      { every: deps.policy.intervalMs },
      { name: RETENTION_JOB, opts: { attempts: 1, removeOnComplete: { count: 50 }, removeOnFail: { count: 50 } } },
    );
  } catch (err) {
    await queue.close().catch(() => {});
    connection.disconnect();
    throw new Error(`retention: cannot schedule the cleanup job: ${(err as Error).message}`);
  }

  const worker = new Worker(
    MAINTENANCE_QUEUE,
    async (job) => {
      if (job.name !== RETENTION_JOB) throw new UnrecoverableError(`unknown maintenance job "${job.name}"`);
      const counts = await runRetentionExclusive({ ...deps, redis: connection, signal: stopping.signal });
      if (counts) deps.log.info({ ...counts, policy: describePolicy(deps.policy) }, 'retention: run finished');
      return counts ?? { skipped: true };
    },
    { connection, prefix: deps.prefix, concurrency: 1 },
  );
  worker.on('failed', (job, err) => deps.log.error({ job: job?.name, err: err.message }, `retention: run failed: ${err.message}`));
  worker.on('error', (err) => deps.log.error({ err: err.message }, `retention worker: ${err.message}`));
  deps.log.info({ policy: describePolicy(deps.policy) }, 'retention scheduled');

  return {
    async close() {
      stopping.abort(new Error('shutting down'));
      await worker.close().catch(() => {});
      await queue.close().catch(() => {});
      connection.disconnect();
    },
  };
}
