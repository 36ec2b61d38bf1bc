import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { QueuePrefixSetting } from '@archway/contract';
import { buildSecretKey, redisUrlProblem } from '@archway/runtime';

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
}

export class ConfigError extends Error {}

const nonEmpty = (name: string) => z.string({ error: `${name} is required` }).trim().min(1, `${name} is required`);

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
  };
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

