import type { ObjectStore } from '@archway/runtime';
import type { PrismaClient } from '../../generated/prisma/client.ts';
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
  return counts;
}
