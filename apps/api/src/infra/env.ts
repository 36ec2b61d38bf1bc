import { resolve } from 'node:path';
import { z } from 'zod';
import { QueuePrefixSetting } from '@archway/contract';
import { TracingEnv } from '@archway/runtime/tracing';
import { buildSecretKey, ConfigError, defineConfig, field, loadConfig as loadSpec, LogEnv, setting, type LogLevel } from '@archway/runtime';
import { SecretKeyEnv } from './secrets/secret-key.ts';

export { ConfigError } from '@archway/runtime';

/**
 * API configuration, read once from the environment at start. The table of variables lives in
 * apps/api/ENV.md (test/docs/env-tables.test.ts compares it with ApiEnv).
 */
export interface ApiConfig {
  databaseUrl: string;
  redisUrl: string;
  queuePrefix: string;
  /** Passed to createObjectStore (`file:///…`, a path, or what the store supports). */
  objectStore: string;
  host: string;
  port: number;
  /** Base URL users reach the API and dashboard at, without a trailing slash. */
  publicUrl: string;
  /** Largest request body accepted under /api/v1, in bytes. */
  bodyLimit: number;
  /** Largest webhook body accepted under /hooks, in bytes. */
  hookBodyLimit: number;
  dataDir: string;
  /** The admin token to ensure on start; undefined: generate one and keep it in `<dataDir>/admin-token`. */
  adminToken: string | undefined;
  logLevel: LogLevel;
  /** The agents' key that seals build secrets per task (ARCHWAY_AGENT_SECRET_KEY[_FILE]); undefined: not configured. */
  agentSecretKey: Buffer | undefined;
  /** Where agentSecretKey came from, for the start log line (never the key). */
  agentSecretKeySource: string | undefined;
  /** Attempts of each platform's build job (ARCHWAY_BUILD_ATTEMPTS). */
  buildAttempts: number;
  /** ARCHWAY_LAYER_CACHE: the shared layer cache for repositories that do not say. */
  layerCache: boolean;
  /** file:// and private/loopback clone URLs allowed (ARCHWAY_ALLOW_LOCAL_SOURCES). */
  allowLocalSources: boolean;
  /** Failed authentications per client address per window before 429 (0: off). */
  authFailureLimit: number;
  authFailureWindowMs: number;
  /** How long a webhook event's content is remembered to refuse replays (0: off). */
  hookReplayWindowMs: number;
  /** Fastify's trustProxy: whose X-Forwarded-For names the client (ARCHWAY_TRUST_PROXY). */
  trustProxy: boolean | string;
  /** How often each watched base image is polled (ARCHWAY_BASE_WATCH_INTERVAL). */
  baseWatchIntervalMs: number;
  /** Registries polled over plain HTTP (ARCHWAY_INSECURE_REGISTRIES). */
  insecureRegistries: string[];
  /** Builds the resolver resolves at once (ARCHWAY_RESOLVE_CONCURRENCY), and per git host. */
  resolveConcurrency: number;
  resolveHostConcurrency: number;
}

const MAX_BODY = 256 * 1024 * 1024;

/** The API's variables (apps/api/ENV.md, checked against it by test/docs/env-tables.test.ts). */
export const ApiEnv = z.object({
  DATABASE_URL: field.urlOf(['postgres', 'postgresql']),
  REDIS_URL: field.redisUrl(),
  ARCHWAY_QUEUE_PREFIX: QueuePrefixSetting,
  ARCHWAY_OBJECT_STORE: field.text(),
  HOST: field.text('127.0.0.1'),
  PORT: field.port({ min: 0, fallback: 8080 }),
  ARCHWAY_PUBLIC_URL: z
    .string()
    .trim()
    .refine((v) => /^https?:\/\/[^\s]+$/.test(v), 'must be an http:// or https:// URL')
    .optional(),
  ARCHWAY_BODY_LIMIT: field.bytes({ fallback: 1024 * 1024, min: 1024, max: MAX_BODY }),
  ARCHWAY_HOOK_BODY_LIMIT: field.bytes({ fallback: 5 * 1024 * 1024, min: 1024, max: MAX_BODY }),
  ARCHWAY_DATA_DIR: field.text('./.archway'),
  ARCHWAY_ADMIN_TOKEN: z.string().trim().min(16, 'must be at least 16 characters').optional(),
  ...SecretKeyEnv.shape,
  ARCHWAY_AGENT_SECRET_KEY: z.string().optional(),
  ARCHWAY_BUILD_ATTEMPTS: field.integer({ min: 1, max: 10, fallback: 2 }),
  ARCHWAY_LAYER_CACHE: field.bool(false),
  // Read by checkRedisForQueues (@archway/runtime redis-check.ts); here so that a bad value is named at start.
  ARCHWAY_REDIS_ALLOW_EVICTION: field.bool(false),
  ARCHWAY_ALLOW_LOCAL_SOURCES: field.bool(false),
  ARCHWAY_AUTH_FAILURE_LIMIT: field.integer({ min: 0, max: 100_000, fallback: 20 }),
  ARCHWAY_AUTH_FAILURE_WINDOW: field.duration({ fallback: '10m', min: 1000, max: 30 * 86_400_000 }),
  ARCHWAY_HOOK_REPLAY_WINDOW: field.duration({ fallback: '1h', max: 30 * 86_400_000 }),
  ARCHWAY_RESOLVE_CONCURRENCY: field.integer({ min: 1, max: 256, fallback: 16 }),
  ARCHWAY_RESOLVE_HOST_CONCURRENCY: field.integer({ min: 1, max: 256, fallback: 4 }),
  ARCHWAY_TRUST_PROXY: z
    .string()
    .trim()
    .default('false')
    .refine((v) => /^(true|false|[0-9a-fA-F.:/]+(\s*,\s*[0-9a-fA-F.:/]+)*)$/.test(v), 'must be true, false or a comma list of proxy addresses/CIDRs'),
  ARCHWAY_BASE_WATCH_INTERVAL: field.duration({ fallback: '30m', min: 1000, max: 7 * 86_400_000 }),
  ARCHWAY_INSECURE_REGISTRIES: z.string().default(''),
  ...TracingEnv.shape,
  ...LogEnv.shape,
});
export const apiConfig = defineConfig({
  process: 'API',
  schema: ApiEnv,
  secrets: ['ARCHWAY_ADMIN_TOKEN', 'ARCHWAY_SECRET_KEY', 'ARCHWAY_AGENT_SECRET_KEY'],
  docs: 'apps/api/ENV.md',
});

/** Parses the environment; throws a ConfigError listing every problem, one per line. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): ApiConfig {
  const e = loadSpec(apiConfig, env);
  const agentKey = loadAgentSecretKey(e.ARCHWAY_AGENT_SECRET_KEY, setting(env, 'ARCHWAY_AGENT_SECRET_KEY_FILE'));
  const dataDir = resolve(e.ARCHWAY_DATA_DIR);
  // A wildcard bind address is not something a browser can reach; show loopback instead.
  const publicHost = e.HOST === '0.0.0.0' || e.HOST === '::' ? '127.0.0.1' : e.HOST.includes(':') ? `[${e.HOST}]` : e.HOST;
  return {
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    queuePrefix: e.ARCHWAY_QUEUE_PREFIX,
    objectStore: e.ARCHWAY_OBJECT_STORE ?? `file://${resolve(dataDir, 'objects')}`,
    host: e.HOST,
    port: e.PORT,
    publicUrl: (e.ARCHWAY_PUBLIC_URL ?? `http://${publicHost}:${e.PORT}`).replace(/\/+$/, ''),
    bodyLimit: e.ARCHWAY_BODY_LIMIT,
    hookBodyLimit: e.ARCHWAY_HOOK_BODY_LIMIT,
    dataDir,
    adminToken: e.ARCHWAY_ADMIN_TOKEN,
    logLevel: e.ARCHWAY_LOG_LEVEL,
    agentSecretKey: agentKey?.key,
    agentSecretKeySource: agentKey?.source,
    buildAttempts: e.ARCHWAY_BUILD_ATTEMPTS,
    layerCache: e.ARCHWAY_LAYER_CACHE,
    allowLocalSources: e.ARCHWAY_ALLOW_LOCAL_SOURCES,
    authFailureLimit: e.ARCHWAY_AUTH_FAILURE_LIMIT,
    authFailureWindowMs: e.ARCHWAY_AUTH_FAILURE_WINDOW,
    hookReplayWindowMs: e.ARCHWAY_HOOK_REPLAY_WINDOW,
    trustProxy: trustProxySetting(e.ARCHWAY_TRUST_PROXY),
    baseWatchIntervalMs: e.ARCHWAY_BASE_WATCH_INTERVAL,
    insecureRegistries: e.ARCHWAY_INSECURE_REGISTRIES.split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    resolveConcurrency: e.ARCHWAY_RESOLVE_CONCURRENCY,
    resolveHostConcurrency: e.ARCHWAY_RESOLVE_HOST_CONCURRENCY,
  };
}

function trustProxySetting(v: string): boolean | string {
  return v === 'true' ? true : v === 'false' ? false : v;
}

/** The same key text the agents hold; the AES key is derived exactly as they derive it. */
function loadAgentSecretKey(text: string | undefined, file: string | undefined): { key: Buffer; source: string } | undefined {
  if (text === undefined) return undefined;
  const name = file ? `ARCHWAY_AGENT_SECRET_KEY_FILE (${file})` : 'ARCHWAY_AGENT_SECRET_KEY';
  try {
    return { key: buildSecretKey(text, name), source: file ?? 'ARCHWAY_AGENT_SECRET_KEY' };
  } catch (err) {
    throw new ConfigError(
      apiConfig.process,
      [{ variable: file ? 'ARCHWAY_AGENT_SECRET_KEY_FILE' : 'ARCHWAY_AGENT_SECRET_KEY', problem: (err as Error).message }],
      apiConfig.docs,
    );
  }
}
