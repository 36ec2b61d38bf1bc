import { existsSync } from 'node:fs';
import { z } from 'zod';
import { QueuePrefixSetting } from '@archway/contract';
import {
  configProblems,
  createObjectStore,
  defineConfig,
  field,
  loadConfig,
  LogEnv,
  throwIfProblems,
  type ConfigProblem,
  type LogLevel,
} from '@archway/runtime';
import { PushEnv } from '@archway/runtime/metrics';
import { TracingEnv } from '@archway/runtime/tracing';
import { locateAuthFile } from './registry/auth-file.ts';
import type { RegistryConfig } from './registry/pool.ts';
import { parseSigningKey, type SigningKey } from './signing/key.ts';

export interface MergerConfig {
  redisUrl: string;
  /** Prefix of BullMQ queues and of every other Redis key (redisKeys). */
  prefix: string;
  /** Object store URL (`file:///path` or `/path`), where agents put the archives. */
  objectStore: string;
  registry: RegistryConfig;
  /** Publish jobs processed at once. */
  concurrency: number;
  /** Platforms of one build pushed at once. */
  platformConcurrency: number;
  /** Platforms pushed ahead of their build's publish job, at once (pipelining); 0 turns it off. */
  earlyPushes: number;
  /** Blob uploads at once per publish job (all its platforms) and per early push. */
  blobConcurrency: number;
  /** ARCHWAY_SIGNING_KEY: signs every published index (cosign's format); absent: nothing is signed. */
  signingKey?: SigningKey;
  /** ARCHWAY_LOG_LEVEL of the merger's log (default info). */
  logLevel?: LogLevel;
  /** Port of an optional `GET /metrics` listener (for a PodMonitor); undefined: none. */
  metricsPort?: number;
  /** How often the metrics are pushed to Redis for the API's /metrics (ms); 0 or unset: never. */
  metricsPushMs?: number;
}

/** The merger's variables (apps/merger/ENV.md, checked against it by test/docs/env-tables.test.ts). */
export const MergerEnv = z.object({
  REDIS_URL: field.redisUrl(),
  // Read by checkRedisForQueues (@archway/runtime redis-check.ts); here so that a bad value is named at start.
  ARCHWAY_REDIS_ALLOW_EVICTION: field.bool(false),
  ARCHWAY_QUEUE_PREFIX: QueuePrefixSetting,
  ARCHWAY_OBJECT_STORE: field.required('(file:///absolute/path or s3://bucket/prefix)'),
  REGISTRY_AUTH_FILE: z.string().optional(),
  DOCKER_CONFIG: z.string().optional(),
  HOME: z.string().optional(),
  ARCHWAY_INSECURE_REGISTRIES: z.string().default(''),
  ARCHWAY_CREDENTIAL_HELPER_TIMEOUT: field.duration({ fallback: '10s', min: 100 }),
  ARCHWAY_REGISTRY_CA_FILE: z
    .string()
    .optional()
    .refine((p) => !p || existsSync(p), { message: 'does not exist' }),
  ARCHWAY_MERGER_CONCURRENCY: field.integer({ min: 1, max: 64, fallback: 2 }),
  ARCHWAY_MERGER_PLATFORM_CONCURRENCY: field.integer({ min: 1, max: 16, fallback: 2 }),
  ARCHWAY_MERGER_EARLY_PUSHES: field.integer({ min: 0, max: 64, fallback: 2 }),
  ARCHWAY_MERGER_BLOB_CONCURRENCY: field.integer({ min: 1, max: 32, fallback: 4 }),
  ARCHWAY_SIGNING_KEY: z
    .string()
    .optional()
    .transform((pem, ctx) => {
      if (!pem) return undefined;
      try {
        return parseSigningKey(pem);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
        return z.NEVER;
      }
    }),
  ARCHWAY_MERGER_METRICS_PORT: field.port({ min: 1 }),
  ...PushEnv.shape,
  ...TracingEnv.shape,
  ...LogEnv.shape,
});
export const mergerConfig = defineConfig({ process: 'merger', schema: MergerEnv, secrets: ['ARCHWAY_SIGNING_KEY'], docs: 'apps/merger/ENV.md' });

/** Reads the merger's configuration; throws one ConfigError naming every bad variable. */
export function loadMergerEnv(env: NodeJS.ProcessEnv = process.env): MergerConfig {
  const e = loadConfig(mergerConfig, env);
  const problems: ConfigProblem[] = [];
  let authFile: string | null = null;
  try {
    authFile = locateAuthFile(e);
  } catch (err) {
    problems.push(...configProblems(err, 'REGISTRY_AUTH_FILE'));
  }
  try {
    // Validates the URL (and S3 settings) now, not at the first publish (the S3 client is lazy).
    createObjectStore(e.ARCHWAY_OBJECT_STORE, env);
  } catch (err) {
    problems.push(...configProblems(err, 'ARCHWAY_OBJECT_STORE'));
  }
  throwIfProblems(mergerConfig.process, problems, mergerConfig.docs);
  return {
    redisUrl: e.REDIS_URL,
    prefix: e.ARCHWAY_QUEUE_PREFIX,
    objectStore: e.ARCHWAY_OBJECT_STORE,
    registry: {
      authFile,
      insecureRegistries: e.ARCHWAY_INSECURE_REGISTRIES.split(',')
        .map((s) => s.trim())
        .filter(Boolean),
      caFile: e.ARCHWAY_REGISTRY_CA_FILE,
      credentialHelperTimeoutMs: e.ARCHWAY_CREDENTIAL_HELPER_TIMEOUT,
    },
    concurrency: e.ARCHWAY_MERGER_CONCURRENCY,
    platformConcurrency: e.ARCHWAY_MERGER_PLATFORM_CONCURRENCY,
    earlyPushes: e.ARCHWAY_MERGER_EARLY_PUSHES,
    blobConcurrency: e.ARCHWAY_MERGER_BLOB_CONCURRENCY,
    ...(e.ARCHWAY_SIGNING_KEY ? { signingKey: e.ARCHWAY_SIGNING_KEY } : {}),
    logLevel: e.ARCHWAY_LOG_LEVEL,
    ...(e.ARCHWAY_MERGER_METRICS_PORT ? { metricsPort: e.ARCHWAY_MERGER_METRICS_PORT } : {}),
    metricsPushMs: e.ARCHWAY_METRICS_PUSH_INTERVAL,
  };
}
