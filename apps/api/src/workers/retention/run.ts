import type { ObjectStore } from '@archway/runtime';
import type { PrismaClient } from '../../generated/prisma/client.ts';
import { expireCacheTags } from './cache-tags.ts';
import { expireBuilds } from './expire.ts';
import { emptyCounts, type RetentionCounts, type RetentionLog } from './log.ts';
import { orphanHorizonMs, type RetentionPolicy } from './policy.ts';
import { removeOrphans } from './orphans.ts';

export interface RetentionRunDeps {
  prisma: PrismaClient;
  store: ObjectStore;
  policy: RetentionPolicy;
  log: RetentionLog;
  /** Defaults to the current time. */
  now?: Date;
  /** Builds per database page and orphan ids per lookup (default 200). */
  batchSize?: number;
  /** Stops the run between builds (e.g. when the lock was lost). */
  signal?: AbortSignal;
}

/**
 * One cleanup pass: expires archives and logs of finished builds past their horizon (marking
 * Build.archivesDeletedAt / logsDeletedAt so the next pass skips them), then removes orphaned
 * objects older than the longest horizon. Safe to repeat; not safe to run twice at the same
 * moment (counts would double) — the scheduler takes a Redis lock around it.
 */
export async function runRetention(deps: RetentionRunDeps): Promise<RetentionCounts> {
  const now = deps.now ?? new Date();
  const batchSize = deps.batchSize ?? 200;
  const counts = emptyCounts();
  await expireBuilds({ ...deps, now, batchSize }, counts);
  const horizon = new Date(now.getTime() - orphanHorizonMs(deps.policy));
  await removeOrphans({ ...deps, horizon, batchSize }, counts);
  if (deps.policy.cache && !deps.signal?.aborted) {
    // The shared layer cache lives in a registry, not the object store: counted on its own line.
    try {
      const cacheTags = await expireCacheTags({ prisma: deps.prisma, cache: deps.policy.cache, log: deps.log, now, signal: deps.signal });
      deps.log.info({ cacheTags, repo: deps.policy.cache.repo }, 'retention: expired cache tags removed');
    } catch (err) {
      deps.log.warn({ repo: deps.policy.cache.repo, error: (err as Error).message }, 'retention: cache cleanup failed');
    }
  }
  return counts;
}
