import { z } from 'zod';
import { formatDuration, parseDuration } from './duration.ts';

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

export class RetentionConfigError extends Error {}

const duration = (name: string, fallback: string, minMs: number) =>
  z
    .string()
    .default(fallback)
    .transform((v, ctx) => {
      const ms = parseDuration(v);
      if (ms === undefined) {
        ctx.addIssue({ code: 'custom', message: `${name} must be a duration like 7d, 12h or 30m (got "${v}")` });
        return z.NEVER;
      }
      if (ms < minMs) {
        ctx.addIssue({ code: 'custom', message: `${name} must be at least ${formatDuration(minMs)} (got "${v}")` });
        return z.NEVER;
      }
      return ms;
    });

const RetentionEnv = z.object({
  ARCHWAY_RETAIN_ARCHIVES: duration('ARCHWAY_RETAIN_ARCHIVES', '7d', 60_000),
  ARCHWAY_RETAIN_ARTIFACTS: duration('ARCHWAY_RETAIN_ARTIFACTS', '30d', 60_000),
  ARCHWAY_RETAIN_LOGS: duration('ARCHWAY_RETAIN_LOGS', '90d', 60_000),
  ARCHWAY_RETENTION_INTERVAL: duration('ARCHWAY_RETENTION_INTERVAL', '1h', 10_000),
});

/**
 * Reads the retention variables (apps/api/src/workers/retention/ENV.md). Empty means unset. Throws a
 * RetentionConfigError listing every problem, one per line.
 */
export function loadRetentionPolicy(env: Record<string, string | undefined> = process.env): RetentionPolicy {
  const pick = (k: keyof z.input<typeof RetentionEnv>) => (env[k] === undefined || env[k] === '' ? undefined : env[k]);
  const parsed = RetentionEnv.safeParse({
    ARCHWAY_RETAIN_ARCHIVES: pick('ARCHWAY_RETAIN_ARCHIVES'),
    ARCHWAY_RETAIN_ARTIFACTS: pick('ARCHWAY_RETAIN_ARTIFACTS'),
    ARCHWAY_RETAIN_LOGS: pick('ARCHWAY_RETAIN_LOGS'),
    ARCHWAY_RETENTION_INTERVAL: pick('ARCHWAY_RETENTION_INTERVAL'),
  });
  if (!parsed.success) {
    throw new RetentionConfigError(`invalid retention configuration:\n${parsed.error.issues.map((i) => `  - ${i.message}`).join('\n')}`);
  }
  const e = parsed.data;
  return { archivesMs: e.ARCHWAY_RETAIN_ARCHIVES, artifactsMs: e.ARCHWAY_RETAIN_ARTIFACTS, logsMs: e.ARCHWAY_RETAIN_LOGS, intervalMs: e.ARCHWAY_RETENTION_INTERVAL };
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
