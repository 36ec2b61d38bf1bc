import { z } from 'zod';
import { formatDuration } from '@archway/contract';
import { defineConfig, field, loadConfig } from '@archway/runtime';

/** How long objects stay in the object store after their build finished (milliseconds). */
export interface RetentionPolicy {
  /** Archives of published builds (succeeded with push: true): the image lives in the registry now. */
  archivesMs: number;
  /** Archives of `push: false` builds (PR builds, artifacts) and of failed or canceled builds. */
  artifactsMs: number;
  /** Logs of any finished build. */
  logsMs: number;
  /** How often the cleanup job runs. */
  intervalMs: number;
}

/** The retention variables (this folder's ENV.md, checked against it by test/docs). */
export const RetentionEnv = z.object({
  ARCHWAY_RETAIN_ARCHIVES: field.duration({ fallback: '7d', min: 60_000 }),
  ARCHWAY_RETAIN_ARTIFACTS: field.duration({ fallback: '30d', min: 60_000 }),
  ARCHWAY_RETAIN_LOGS: field.duration({ fallback: '90d', min: 60_000 }),
  ARCHWAY_RETENTION_INTERVAL: field.duration({ fallback: '1h', min: 10_000 }),
});
export const retentionConfig = defineConfig({ process: 'API', schema: RetentionEnv, docs: 'apps/api/src/workers/retention/ENV.md' });

/** Reads the retention variables; throws a ConfigError listing every problem, one per line. */
export function loadRetentionPolicy(env: Record<string, string | undefined> = process.env): RetentionPolicy {
  const e = loadConfig(retentionConfig, env);
  return {
    archivesMs: e.ARCHWAY_RETAIN_ARCHIVES,
    artifactsMs: e.ARCHWAY_RETAIN_ARTIFACTS,
    logsMs: e.ARCHWAY_RETAIN_LOGS,
    intervalMs: e.ARCHWAY_RETENTION_INTERVAL,
  };
}

/** Orphans (objects of builds the database does not know) are kept this long, to be safe. */
export function orphanHorizonMs(policy: RetentionPolicy): number {
  return Math.max(policy.archivesMs, policy.artifactsMs, policy.logsMs);
}

export function describePolicy(policy: RetentionPolicy): Record<string, string> {
  return {
    archives: formatDuration(policy.archivesMs),
    artifacts: formatDuration(policy.artifactsMs),
    logs: formatDuration(policy.logsMs),
    interval: formatDuration(policy.intervalMs),
  };
}
