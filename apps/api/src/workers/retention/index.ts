export { loadRetentionPolicy, retentionConfig, RetentionEnv, type RetentionPolicy } from './policy.ts';
export { runRetention, type RetentionRunDeps } from './run.ts';
export { runRetentionExclusive, startRetention, MAINTENANCE_QUEUE, RETENTION_JOB, type RetentionDeps, type RetentionService } from './scheduler.ts';
export type { RetentionCounts, RetentionLog } from './log.ts';
export { withLock } from './lock.ts';
