import { z } from 'zod';
import { existsSync } from 'node:fs';
import { formatDuration, ImagePrefixString } from '@archway/contract';
import { defineConfig, field, loadConfig } from '@archway/runtime';
import type { CachePolicy } from './cache-tags.ts';

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
  /** Expiry of the shared layer cache's tags; absent: not cleaned here. */
  cache?: CachePolicy;
}

/** The retention variables (this folder's ENV.md, checked against it by test/docs). */
export const RetentionEnv = z.object({
  ARCHWAY_RETAIN_ARCHIVES: field.duration({ fallback: '7d', min: 60_000 }),
  ARCHWAY_RETAIN_ARTIFACTS: field.duration({ fallback: '30d', min: 60_000 }),
  ARCHWAY_RETAIN_LOGS: field.duration({ fallback: '90d', min: 60_000 }),
  ARCHWAY_RETENTION_INTERVAL: field.duration({ fallback: '1h', min: 10_000 }),
  ARCHWAY_CACHE_REPO: ImagePrefixString.optional(),
  ARCHWAY_CACHE_AUTH_FILE: z
    .string()
    .optional()
    .refine((p) => !p || existsSync(p), { message: 'does not exist' }),
  ARCHWAY_CACHE_TTL: field.duration({ fallback: '7d', min: 60_000 }),
  ARCHWAY_CACHE_INSECURE: field.bool(false),
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
    ...(e.ARCHWAY_CACHE_REPO
      ? {
          cache: {
            repo: e.ARCHWAY_CACHE_REPO,
            ttlMs: e.ARCHWAY_CACHE_TTL,
            insecure: e.ARCHWAY_CACHE_INSECURE,
            ...(e.ARCHWAY_CACHE_AUTH_FILE ? { authFile: e.ARCHWAY_CACHE_AUTH_FILE } : {}),
          },
        }
      : {}),
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
    ...(policy.cache ? { cacheTags: `${policy.cache.repo} after ${formatDuration(policy.cache.ttlMs)}` } : {}),
  };
}
