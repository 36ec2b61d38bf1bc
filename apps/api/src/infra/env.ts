import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { QueuePrefixSetting } from '@archway/contract';
import { buildSecretKey, redisUrlProblem } from '@archway/runtime';
import { parseDuration } from '../workers/retention/duration.ts';

/**
 * API configuration, read once from the environment at start. The table of variables lives in
 * apps/api/ENV.md; keep both in sync.
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
  logLevel: string;
  /** The agents' key that seals build secrets per task (ARCHWAY_AGENT_SECRET_KEY[_FILE]); undefined: not configured. */
  agentSecretKey: Buffer | undefined;
  /** Where agentSecretKey came from, for the start log line (never the key). */
  agentSecretKeySource: string | undefined;
  /** Attempts of each platform's build job (ARCHWAY_BUILD_ATTEMPTS). */
  buildAttempts: number;
  /** file:// and private/loopback clone URLs allowed (ARCHWAY_ALLOW_LOCAL_SOURCES). */
  allowLocalSources: boolean;
  /** Failed authentications per client address per window before 429 (0: off). */
  authFailureLimit: number;
  authFailureWindowMs: number;
  /** How long a webhook event's content is remembered to refuse replays (0: off). */
  hookReplayWindowMs: number;
  /** Fastify's trustProxy: whose X-Forwarded-For names the client (ARCHWAY_TRUST_PROXY). */
  trustProxy: boolean | string;
}

export class ConfigError extends Error {}

const nonEmpty = (name: string) => z.string({ error: `${name} is required` }).trim().min(1, `${name} is required`);

/** A duration such as `10m` or `1h` (no bare numbers), in ms, at least `min` ms. */
function durationVar(name: string, fallback: string, min: number) {
  return z
    .string()
    .default(fallback)
    .transform((v, ctx) => {
      const ms = parseDuration(v);
      if (ms === undefined || ms < min || ms > 30 * 86_400_000) {
        ctx.addIssue({ code: 'custom', message: `${name} must be a duration such as 30s, 10m or 1h (${min > 0 ? `at least ${min / 1000}s` : '0s: off'}, at most 30d)` });
        return z.NEVER;
      }
      return ms;
    });
}

const Env = z.object({
  DATABASE_URL: nonEmpty('DATABASE_URL').refine(
    (v) => /^postgres(ql)?:\/\//.test(v),
    'DATABASE_URL must start with postgres:// or postgresql://',
  ),
  REDIS_URL: nonEmpty('REDIS_URL').superRefine((v, ctx) => {
    const problem = redisUrlProblem(v);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  }),
  ARCHWAY_QUEUE_PREFIX: QueuePrefixSetting,
  ARCHWAY_OBJECT_STORE: z.string().trim().min(1).optional(),
  HOST: z.string().trim().min(1).default('127.0.0.1'),
  PORT: z.coerce
    .number({ error: 'PORT must be a number' })
    .int('PORT must be an integer')
    .min(0, 'PORT must be between 0 and 65535')
    .max(65535, 'PORT must be between 0 and 65535')
    .default(8080),
  ARCHWAY_PUBLIC_URL: z
    .string()
    .trim()
    .refine((v) => /^https?:\/\/[^\s]+$/.test(v), 'ARCHWAY_PUBLIC_URL must be an http:// or https:// URL')
    .optional(),
  ARCHWAY_BODY_LIMIT: z.coerce
    .number({ error: 'ARCHWAY_BODY_LIMIT must be a number of bytes' })
    .int('ARCHWAY_BODY_LIMIT must be a whole number of bytes')
    .min(1024, 'ARCHWAY_BODY_LIMIT must be at least 1024 bytes')
    .max(256 * 1024 * 1024, 'ARCHWAY_BODY_LIMIT must be at most 256 MiB')
    .default(1024 * 1024),
  ARCHWAY_HOOK_BODY_LIMIT: z.coerce
    .number({ error: 'ARCHWAY_HOOK_BODY_LIMIT must be a number of bytes' })
    .int('ARCHWAY_HOOK_BODY_LIMIT must be a whole number of bytes')
    .min(1024, 'ARCHWAY_HOOK_BODY_LIMIT must be at least 1024 bytes')
    .max(256 * 1024 * 1024, 'ARCHWAY_HOOK_BODY_LIMIT must be at most 256 MiB')
    .default(5 * 1024 * 1024),
  ARCHWAY_DATA_DIR: z.string().trim().min(1).default('./.archway'),
  ARCHWAY_ADMIN_TOKEN: z.string().trim().min(16, 'ARCHWAY_ADMIN_TOKEN must be at least 16 characters').optional(),
  ARCHWAY_ADMIN_TOKEN_FILE: z.string().trim().min(1).optional(),
  ARCHWAY_AGENT_SECRET_KEY: z.string().optional(),
  ARCHWAY_AGENT_SECRET_KEY_FILE: z.string().trim().min(1).optional(),
  ARCHWAY_BUILD_ATTEMPTS: z.coerce
    .number({ error: 'ARCHWAY_BUILD_ATTEMPTS must be a number' })
    .int('ARCHWAY_BUILD_ATTEMPTS must be a whole number')
    .min(1, 'ARCHWAY_BUILD_ATTEMPTS must be between 1 and 10')
    .max(10, 'ARCHWAY_BUILD_ATTEMPTS must be between 1 and 10')
    .default(2),
  ARCHWAY_ALLOW_LOCAL_SOURCES: z
    .enum(['true', 'false'], { error: 'ARCHWAY_ALLOW_LOCAL_SOURCES must be true or false' })
    .default('false'),
  ARCHWAY_AUTH_FAILURE_LIMIT: z.coerce
    .number({ error: 'ARCHWAY_AUTH_FAILURE_LIMIT must be a number' })
    .int('ARCHWAY_AUTH_FAILURE_LIMIT must be a whole number')
    .min(0, 'ARCHWAY_AUTH_FAILURE_LIMIT must be between 0 (off) and 100000')
    .max(100_000, 'ARCHWAY_AUTH_FAILURE_LIMIT must be between 0 (off) and 100000')
    .default(20),
  ARCHWAY_AUTH_FAILURE_WINDOW: durationVar('ARCHWAY_AUTH_FAILURE_WINDOW', '10m', 1000),
  ARCHWAY_HOOK_REPLAY_WINDOW: durationVar('ARCHWAY_HOOK_REPLAY_WINDOW', '1h', 0),
  ARCHWAY_TRUST_PROXY: z
    .string()
    .trim()
    .default('false')
    .refine((v) => /^(true|false|[0-9a-fA-F.:/]+(\s*,\s*[0-9a-fA-F.:/]+)*)$/.test(v), 'ARCHWAY_TRUST_PROXY must be true, false or a comma list of proxy addresses/CIDRs'),
  ARCHWAY_LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
      error: 'ARCHWAY_LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent',
    })
    .default('info'),
});

/** Parses the environment; throws a ConfigError listing every problem, one per line. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): ApiConfig {
  // Empty strings mean "unset" (common in compose files and Kubernetes manifests).
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = Env.safeParse(cleaned);
  const problems = parsed.success ? [] : parsed.error.issues.map((i) => i.message);
  if (cleaned.ARCHWAY_ADMIN_TOKEN && cleaned.ARCHWAY_ADMIN_TOKEN_FILE) {
    problems.push('set ARCHWAY_ADMIN_TOKEN or ARCHWAY_ADMIN_TOKEN_FILE, not both');
  }
  if (cleaned.ARCHWAY_AGENT_SECRET_KEY && cleaned.ARCHWAY_AGENT_SECRET_KEY_FILE) {
    problems.push('set ARCHWAY_AGENT_SECRET_KEY or ARCHWAY_AGENT_SECRET_KEY_FILE, not both');
  }
  if (!parsed.success || problems.length > 0) throw configError(problems);
  const e = parsed.data;

  let adminToken = e.ARCHWAY_ADMIN_TOKEN;
  if (e.ARCHWAY_ADMIN_TOKEN_FILE) adminToken = readSecretFile('ARCHWAY_ADMIN_TOKEN_FILE', e.ARCHWAY_ADMIN_TOKEN_FILE);

  const agentKey = loadAgentSecretKey(e.ARCHWAY_AGENT_SECRET_KEY, e.ARCHWAY_AGENT_SECRET_KEY_FILE);

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
    adminToken,
    logLevel: e.ARCHWAY_LOG_LEVEL,
    agentSecretKey: agentKey?.key,
    agentSecretKeySource: agentKey?.source,
    buildAttempts: e.ARCHWAY_BUILD_ATTEMPTS,
    allowLocalSources: e.ARCHWAY_ALLOW_LOCAL_SOURCES === 'true',
    authFailureLimit: e.ARCHWAY_AUTH_FAILURE_LIMIT,
    authFailureWindowMs: e.ARCHWAY_AUTH_FAILURE_WINDOW,
    hookReplayWindowMs: e.ARCHWAY_HOOK_REPLAY_WINDOW,
    trustProxy: trustProxySetting(e.ARCHWAY_TRUST_PROXY),
  };
}

function trustProxySetting(v: string): boolean | string {
  return v === 'true' ? true : v === 'false' ? false : v;
}

/** The same key text the agents hold; the AES key is derived exactly as they derive it. */
function loadAgentSecretKey(inline: string | undefined, file: string | undefined): { key: Buffer; source: string } | undefined {
  let text = inline;
  let name = 'ARCHWAY_AGENT_SECRET_KEY';
  if (file) {
    name = `ARCHWAY_AGENT_SECRET_KEY_FILE (${file})`;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw configError([`ARCHWAY_AGENT_SECRET_KEY_FILE: cannot read ${file}: ${(err as Error).message}`]);
    }
  }
  if (text === undefined) return undefined;
  try {
    return { key: buildSecretKey(text, name), source: file ?? 'ARCHWAY_AGENT_SECRET_KEY' };
  } catch (err) {
    throw configError([(err as Error).message]);
  }
}

function readSecretFile(name: string, path: string): string {
  let value: string;
  try {
    value = readFileSync(path, 'utf8').trim();
  } catch (err) {
    throw configError([`${name}: cannot read ${path}: ${(err as Error).message}`]);
  }
  if (value.length < 16) throw configError([`${name}: the token in ${path} must be at least 16 characters`]);
  return value;
}

function configError(problems: string[]): ConfigError {
  return new ConfigError(`invalid API configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
}

