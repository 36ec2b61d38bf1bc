import { hostname, machine } from 'node:os';
import { resolve } from 'node:path';
import { z } from 'zod';
import { archFromMachine, formatPlatform, normalizePlatform, platformSlug } from '@archway/shared';
import { createObjectStore } from '@archway/shared/node';

/**
 * Agent configuration, read once from the environment at start. The table of variables lives in
 * apps/agent/ENV.md; keep both in sync.
 */
export interface AgentConfig {
  redisUrl: string;
  queuePrefix: string;
  /** `file:///…` or `s3://…` (passed to createObjectStore with the process env). */
  objectStore: string;
  /** Canonical `os/arch[/variant]`. */
  platform: string;
  dataDir: string;
  agentId: string;
  concurrency: number;
  isolation: 'chroot' | 'oci' | 'rootless';
  buildah: string;
  git: string;
}

/** The native platform of this machine, from the kernel's machine name (`uname -m`). */
export function nativePlatform(kernelMachine: string = machine()): string {
  const arch = archFromMachine(kernelMachine);
  if (!arch) {
    throw new Error(`unknown machine type "${kernelMachine}": set ARCHWAY_AGENT_PLATFORM (e.g. linux/arm64)`);
  }
  return formatPlatform({ os: 'linux', ...arch });
}

const nonEmpty = (name: string) => z.string({ error: `${name} is required` }).trim().min(1, `${name} is required`);

const Env = z.object({
  REDIS_URL: nonEmpty('REDIS_URL').refine((v) => /^rediss?:\/\//.test(v), 'REDIS_URL must start with redis:// or rediss://'),
  ARCHWAY_QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.-]+$/, 'ARCHWAY_QUEUE_PREFIX may contain letters, digits, "_", "." and "-"')
    .default('archway'),
  ARCHWAY_OBJECT_STORE: nonEmpty('ARCHWAY_OBJECT_STORE'),
  ARCHWAY_AGENT_PLATFORM: z.string().trim().min(1).optional(),
  ARCHWAY_AGENT_DATA_DIR: z.string().trim().min(1).default('./.archway/agent'),
  ARCHWAY_AGENT_ID: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,128}$/, 'ARCHWAY_AGENT_ID may contain letters, digits, "_", "." and "-" (max 128)')
    .optional(),
  ARCHWAY_AGENT_CONCURRENCY: z.coerce
    .number({ error: 'ARCHWAY_AGENT_CONCURRENCY must be a number' })
    .int('ARCHWAY_AGENT_CONCURRENCY must be an integer')
    .min(1, 'ARCHWAY_AGENT_CONCURRENCY must be at least 1')
    .max(64, 'ARCHWAY_AGENT_CONCURRENCY must be at most 64')
    .default(1),
  ARCHWAY_BUILDAH_ISOLATION: z
    .enum(['chroot', 'oci', 'rootless'], { error: 'ARCHWAY_BUILDAH_ISOLATION must be chroot, oci or rootless' })
    .default('chroot'),
  ARCHWAY_BUILDAH: z.string().trim().min(1).default('buildah'),
  ARCHWAY_GIT: z.string().trim().min(1).default('git'),
});

export class ConfigError extends Error {}

/** Parses the environment; throws a ConfigError listing every problem, one per line. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AgentConfig {
  // Empty strings mean "unset" (common in compose files and k8s manifests).
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = Env.safeParse(cleaned);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  - ${i.message}`);
    throw new ConfigError(`invalid agent configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  try {
    createObjectStore(e.ARCHWAY_OBJECT_STORE, env); // validates the URL (and S3 settings) now, not at the first job
  } catch (err) {
    throw new ConfigError(`invalid agent configuration:\n  - ARCHWAY_OBJECT_STORE: ${(err as Error).message}`);
  }
  let platform: string;
  try {
    platform = e.ARCHWAY_AGENT_PLATFORM ? normalizePlatform(e.ARCHWAY_AGENT_PLATFORM) : nativePlatform();
  } catch (err) {
    const prefix = e.ARCHWAY_AGENT_PLATFORM ? 'ARCHWAY_AGENT_PLATFORM: ' : '';
    throw new ConfigError(`invalid agent configuration:\n  - ${prefix}${(err as Error).message}`);
  }
  return {
    redisUrl: e.REDIS_URL,
    queuePrefix: e.ARCHWAY_QUEUE_PREFIX,
    objectStore: e.ARCHWAY_OBJECT_STORE,
    platform,
    dataDir: resolve(e.ARCHWAY_AGENT_DATA_DIR),
    agentId: e.ARCHWAY_AGENT_ID ?? `${hostname()}-${platformSlug(platform)}`,
    concurrency: e.ARCHWAY_AGENT_CONCURRENCY,
    isolation: e.ARCHWAY_BUILDAH_ISOLATION,
    buildah: e.ARCHWAY_BUILDAH,
    git: e.ARCHWAY_GIT,
  };
}

/** The Redis URL without its password, for log lines. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    if (u.username && u.protocol.startsWith('http')) u.username = '***';
    return u.toString();
  } catch {
    return url.replace(/\/\/[^@/]*@/, '//***@');
  }
}
