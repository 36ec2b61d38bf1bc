import { existsSync } from 'node:fs';
import { z } from 'zod';
import { QueuePrefixSetting } from '@archway/contract';
import { createObjectStore, redisUrlProblem } from '@archway/runtime';
import { locateAuthFile } from './registry/auth-file.ts';
import type { RegistryConfig } from './registry/pool.ts';

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
}

const Env = z.object({
  REDIS_URL: z
    .string({ error: 'REDIS_URL is required (redis://host:6379)' })
    .min(1, 'REDIS_URL is required (redis://host:6379)')
    .superRefine((v, ctx) => {
      const problem = redisUrlProblem(v);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
  ARCHWAY_QUEUE_PREFIX: QueuePrefixSetting,
  ARCHWAY_OBJECT_STORE: z
    .string({ error: 'ARCHWAY_OBJECT_STORE is required (file:///absolute/path or s3://bucket/prefix)' })
    .min(1, 'ARCHWAY_OBJECT_STORE is required (file:///absolute/path or s3://bucket/prefix)'),
  REGISTRY_AUTH_FILE: z.string().optional(),
  DOCKER_CONFIG: z.string().optional(),
  HOME: z.string().optional(),
  ARCHWAY_INSECURE_REGISTRIES: z.string().default(''),
  ARCHWAY_REGISTRY_CA_FILE: z
    .string()
    .optional()
    .refine((p) => !p || existsSync(p), { message: 'ARCHWAY_REGISTRY_CA_FILE does not exist' }),
  ARCHWAY_MERGER_CONCURRENCY: z.coerce.number({ error: 'ARCHWAY_MERGER_CONCURRENCY must be a number' }).int().min(1).max(64).default(2),
  ARCHWAY_MERGER_PLATFORM_CONCURRENCY: z.coerce
    .number({ error: 'ARCHWAY_MERGER_PLATFORM_CONCURRENCY must be a number' })
    .int('ARCHWAY_MERGER_PLATFORM_CONCURRENCY must be a whole number')
    .min(1, 'ARCHWAY_MERGER_PLATFORM_CONCURRENCY must be 1 to 16')
    .max(16, 'ARCHWAY_MERGER_PLATFORM_CONCURRENCY must be 1 to 16')
    .default(2),
  ARCHWAY_MERGER_EARLY_PUSHES: z.coerce
    .number({ error: 'ARCHWAY_MERGER_EARLY_PUSHES must be a number' })
    .int('ARCHWAY_MERGER_EARLY_PUSHES must be a whole number')
    .min(0, 'ARCHWAY_MERGER_EARLY_PUSHES must be 0 to 64')
    .max(64, 'ARCHWAY_MERGER_EARLY_PUSHES must be 0 to 64')
    .default(2),
  ARCHWAY_MERGER_BLOB_CONCURRENCY: z.coerce
    .number({ error: 'ARCHWAY_MERGER_BLOB_CONCURRENCY must be a number' })
    .int('ARCHWAY_MERGER_BLOB_CONCURRENCY must be a whole number')
    .min(1, 'ARCHWAY_MERGER_BLOB_CONCURRENCY must be 1 to 32')
    .max(32, 'ARCHWAY_MERGER_BLOB_CONCURRENCY must be 1 to 32')
    .default(4),
});

/** A bad variable: restarting cannot help, so the process exits 2 (the supervisor gives up). */
export class MergerConfigError extends Error {}

/** Reads the merger's configuration; throws one message naming every bad variable. */
export function loadMergerEnv(env: NodeJS.ProcessEnv = process.env): MergerConfig {
  const parsed = Env.safeParse(Object.fromEntries(Object.entries(env).filter(([, v]) => v !== '')));
  if (!parsed.success) {
    throw new MergerConfigError(`invalid merger configuration: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  }
  const e = parsed.data;
  let authFile: string | null;
  try {
    authFile = locateAuthFile(e);
  } catch (err) {
    throw new MergerConfigError(`invalid merger configuration: ${(err as Error).message}`);
  }
  try {
    // Validates the URL (and S3 settings) now, not at the first publish (the S3 client is lazy).
    createObjectStore(e.ARCHWAY_OBJECT_STORE, env);
  } catch (err) {
    throw new MergerConfigError(`invalid merger configuration: ARCHWAY_OBJECT_STORE: ${(err as Error).message}`);
  }
  return {
    redisUrl: e.REDIS_URL,
    prefix: e.ARCHWAY_QUEUE_PREFIX,
    objectStore: e.ARCHWAY_OBJECT_STORE,
    registry: {
      authFile,
      insecureRegistries: e.ARCHWAY_INSECURE_REGISTRIES.split(',').map((s) => s.trim()).filter(Boolean),
      caFile: e.ARCHWAY_REGISTRY_CA_FILE,
    },
    concurrency: e.ARCHWAY_MERGER_CONCURRENCY,
    platformConcurrency: e.ARCHWAY_MERGER_PLATFORM_CONCURRENCY,
    earlyPushes: e.ARCHWAY_MERGER_EARLY_PUSHES,
    blobConcurrency: e.ARCHWAY_MERGER_BLOB_CONCURRENCY,
  };
}
