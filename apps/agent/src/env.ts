import { readFileSync } from 'node:fs';
import { hostname, machine } from 'node:os';
import { resolve } from 'node:path';
import { z } from 'zod';
import { parsePlatform, platformOrUndefined, platformSlug, QueuePrefixSetting, type Platform } from '@archway/contract';
import { buildSecretKey, createObjectStore, redisUrlProblem } from '@archway/runtime';
import { formatSize, parseDuration, parseSize, type Size } from './units.ts';
import { DEFAULT_LIVE_LOG_LIMIT, type LiveLogLimit } from './report/log-sink.ts';

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
  platform: Platform;
  dataDir: string;
  agentId: string;
  concurrency: number;
  isolation: 'chroot' | 'oci' | 'rootless';
  buildah: string;
  git: string;
  /** BullMQ lock on a running task; a killed agent's task goes back to the queue within ≈ this + 2 × lockMs/3. */
  lockMs: number;
  /** After SIGTERM: how long the running tasks may still take before they are requeued. */
  drainTimeoutMs: number;
  /** Build time limit when the job names none. */
  buildTimeoutMs: number;
  /** Free space a task needs on the data dir's filesystem before it starts. */
  minFreeSpace: Size;
  /** A running task is stopped (out of disk) when free space falls below this. */
  stopFreeSpace: Size;
  gc: GcPolicy;
  /** The git cache (`<data>/git`) is pruned, least recently used first, to this size. */
  gitCacheSize: Size;
  /** How long a job waits for the agent that last built its repository (warm cache); 0: no affinity. */
  affinityWaitMs: number;
  /** Opens the build secrets in job payloads; undefined: builds with secrets fail. */
  secretKey?: Buffer;
  /** registries.conf for base image pulls (mirrors, pull-through proxies, insecure registries). */
  registriesConf?: string;
  /** buildah's --pull: `newer` (pull when the registry has a newer image), `missing`, `always`. */
  pull: 'newer' | 'missing' | 'always';
  /** Start even when the data dir is on a network/FUSE/overlay filesystem. */
  allowNetworkStorage: boolean;
  /** Bound of a task attempt's live log in Redis; the uploaded full log keeps every line. */
  liveLogLimit: LiveLogLimit;
}

/** buildkitd's gcpolicy semantics (reservedSpace, maxUsedSpace, minFreeSpace, keepDuration). */
export interface GcPolicy {
  /** The cache is never pruned below this size. */
  reservedSpace: Size;
  /** The cache is pruned (least recently used first) until it is at most this size. */
  maxUsedSpace: Size;
  /** The cache is pruned until the filesystem has at least this much free. */
  minFreeSpace: Size;
  /** Cache entries unused this long are pruned (down to reservedSpace). 0: no age limit. */
  keepDurationMs: number;
  /** Periodic collection while idle; 0: only before tasks. */
  intervalMs: number;
}

/** The native platform of this machine, from the kernel's machine name (`uname -m`). */
export function nativePlatform(kernelMachine: string = machine()): Platform {
  // A bare machine name parses as a linux architecture with the same alias table (aarch64, armv7l, …).
  const platform = kernelMachine.includes('/') ? undefined : platformOrUndefined(kernelMachine);
  if (!platform) {
    throw new Error(`unknown machine type "${kernelMachine}": set ARCHWAY_AGENT_PLATFORM (e.g. linux/arm64)`);
  }
  return platform;
}

const sizeText = (name: string) =>
  z.string().transform((v, ctx) => {
    const parsed = parseSize(v);
    if (!parsed) ctx.addIssue({ code: 'custom', message: `${name} must be a size like 512MB, 10GiB or 20% (got "${v}")` });
    return parsed ?? { bytes: 0 };
  });
const size = (name: string, fallback: string) => z.string().default(fallback).pipe(sizeText(name));
/** Unset: a default that depends on the disk (see GC_DEFAULTS). */
const optionalSize = (name: string) => sizeText(name).optional();
const duration = (name: string, fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((v, ctx) => {
      const parsed = parseDuration(v);
      if (parsed === undefined) ctx.addIssue({ code: 'custom', message: `${name} must be a duration like 90s, 60m, 48h or 7d (got "${v}")` });
      return parsed ?? 0;
    });
const bool = (name: string) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: `${name} must be true or false` })
    .default('false')
    .transform((v) => v === 'true' || v === '1' || v === 'yes');

const nonEmpty = (name: string) => z.string({ error: `${name} is required` }).trim().min(1, `${name} is required`);

const Env = z.object({
  REDIS_URL: nonEmpty('REDIS_URL').superRefine((v, ctx) => {
    const problem = redisUrlProblem(v);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  }),
  ARCHWAY_QUEUE_PREFIX: QueuePrefixSetting,
  ARCHWAY_OBJECT_STORE: nonEmpty('ARCHWAY_OBJECT_STORE'),
  ARCHWAY_AGENT_PLATFORM: z.string().trim().min(1).optional(),
  ARCHWAY_AGENT_DATA_DIR: z.string().trim().min(1).default('./.archway/agent'),
  ARCHWAY_AGENT_ID: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,253}$/, 'ARCHWAY_AGENT_ID may contain letters, digits, "_", "." and "-" (max 253, a Kubernetes node name)')
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
  ARCHWAY_AGENT_LOCK_DURATION: duration('ARCHWAY_AGENT_LOCK_DURATION', '15s'),
  ARCHWAY_AGENT_DRAIN_TIMEOUT: duration('ARCHWAY_AGENT_DRAIN_TIMEOUT', '5m'),
  ARCHWAY_AGENT_BUILD_TIMEOUT: duration('ARCHWAY_AGENT_BUILD_TIMEOUT', '60m'),
  ARCHWAY_AGENT_MIN_FREE_SPACE: size('ARCHWAY_AGENT_MIN_FREE_SPACE', '2GB'),
  ARCHWAY_AGENT_STOP_FREE_SPACE: size('ARCHWAY_AGENT_STOP_FREE_SPACE', '500MB'),
  ARCHWAY_AGENT_GC_RESERVED_SPACE: optionalSize('ARCHWAY_AGENT_GC_RESERVED_SPACE'),
  ARCHWAY_AGENT_GC_MAX_USED_SPACE: optionalSize('ARCHWAY_AGENT_GC_MAX_USED_SPACE'),
  ARCHWAY_AGENT_GC_MIN_FREE_SPACE: optionalSize('ARCHWAY_AGENT_GC_MIN_FREE_SPACE'),
  ARCHWAY_AGENT_GC_KEEP_DURATION: duration('ARCHWAY_AGENT_GC_KEEP_DURATION', '60d'),
  ARCHWAY_AGENT_GC_INTERVAL: duration('ARCHWAY_AGENT_GC_INTERVAL', '10m'),
  ARCHWAY_AGENT_GIT_CACHE_SIZE: optionalSize('ARCHWAY_AGENT_GIT_CACHE_SIZE'),
  ARCHWAY_AGENT_AFFINITY_WAIT: duration('ARCHWAY_AGENT_AFFINITY_WAIT', '3s'),
  ARCHWAY_AGENT_SECRET_KEY: z.string().optional(),
  ARCHWAY_AGENT_SECRET_KEY_FILE: z.string().optional(),
  ARCHWAY_AGENT_REGISTRIES_CONF: z.string().trim().min(1).optional(),
  ARCHWAY_AGENT_PULL: z.enum(['newer', 'missing', 'always'], { error: 'ARCHWAY_AGENT_PULL must be newer, missing or always' }).default('newer'),
  ARCHWAY_AGENT_ALLOW_NETWORK_STORAGE: bool('ARCHWAY_AGENT_ALLOW_NETWORK_STORAGE'),
  ARCHWAY_AGENT_LIVE_LOG_MAX_LINES: z.coerce
    .number({ error: 'ARCHWAY_AGENT_LIVE_LOG_MAX_LINES must be a number' })
    .int('ARCHWAY_AGENT_LIVE_LOG_MAX_LINES must be an integer')
    .min(100, 'ARCHWAY_AGENT_LIVE_LOG_MAX_LINES must be at least 100')
    .default(DEFAULT_LIVE_LOG_LIMIT.lines),
  ARCHWAY_AGENT_LIVE_LOG_MAX_SIZE: z
    .string()
    .default(String(DEFAULT_LIVE_LOG_LIMIT.bytes))
    .transform((v, ctx) => {
      const parsed = parseSize(v);
      if (!parsed || !('bytes' in parsed) || parsed.bytes < 64 * 1024) {
        ctx.addIssue({ code: 'custom', message: `ARCHWAY_AGENT_LIVE_LOG_MAX_SIZE must be a size of at least 64KiB like 32MiB (got "${v}")` });
        return 0;
      }
      return parsed.bytes;
    }),
});

/** buildkitd's defaults: 10% of the disk (at most 10 GB) reserved, 60% (≤ 100 GB) max used, 20% (≤ 100 GB) kept free. */
const GC_DEFAULTS = {
  reservedSpace: { percent: 10, capBytes: 10e9 },
  maxUsedSpace: { percent: 60, capBytes: 100e9 },
  minFreeSpace: { percent: 20, capBytes: 100e9 },
} satisfies Record<string, Size>;

/** 5% of the disk, at most 5 GB: a few dozen repositories' shallow fetches on a Raspberry Pi's card too. */
const GIT_CACHE_DEFAULT: Size = { percent: 5, capBytes: 5e9 };

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
  const problems = crossCheck(e);
  if (problems.length > 0) throw new ConfigError(`invalid agent configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  let secretKey: Buffer | undefined;
  try {
    secretKey = loadSecretKey(e.ARCHWAY_AGENT_SECRET_KEY, e.ARCHWAY_AGENT_SECRET_KEY_FILE);
  } catch (err) {
    throw new ConfigError(`invalid agent configuration:\n  - ${(err as Error).message}`);
  }
  try {
    createObjectStore(e.ARCHWAY_OBJECT_STORE, env); // validates the URL (and S3 settings) now, not at the first job
  } catch (err) {
    throw new ConfigError(`invalid agent configuration:\n  - ARCHWAY_OBJECT_STORE: ${(err as Error).message}`);
  }
  let platform: Platform;
  try {
    platform = e.ARCHWAY_AGENT_PLATFORM ? parsePlatform(e.ARCHWAY_AGENT_PLATFORM) : nativePlatform();
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
    lockMs: e.ARCHWAY_AGENT_LOCK_DURATION,
    drainTimeoutMs: e.ARCHWAY_AGENT_DRAIN_TIMEOUT,
    buildTimeoutMs: e.ARCHWAY_AGENT_BUILD_TIMEOUT,
    minFreeSpace: e.ARCHWAY_AGENT_MIN_FREE_SPACE,
    stopFreeSpace: e.ARCHWAY_AGENT_STOP_FREE_SPACE,
    gc: {
      reservedSpace: e.ARCHWAY_AGENT_GC_RESERVED_SPACE ?? GC_DEFAULTS.reservedSpace,
      maxUsedSpace: e.ARCHWAY_AGENT_GC_MAX_USED_SPACE ?? GC_DEFAULTS.maxUsedSpace,
      minFreeSpace: e.ARCHWAY_AGENT_GC_MIN_FREE_SPACE ?? GC_DEFAULTS.minFreeSpace,
      keepDurationMs: e.ARCHWAY_AGENT_GC_KEEP_DURATION,
      intervalMs: e.ARCHWAY_AGENT_GC_INTERVAL,
    },
    gitCacheSize: e.ARCHWAY_AGENT_GIT_CACHE_SIZE ?? GIT_CACHE_DEFAULT,
    affinityWaitMs: e.ARCHWAY_AGENT_AFFINITY_WAIT,
    ...(secretKey ? { secretKey } : {}),
    ...(e.ARCHWAY_AGENT_REGISTRIES_CONF ? { registriesConf: resolve(e.ARCHWAY_AGENT_REGISTRIES_CONF) } : {}),
    pull: e.ARCHWAY_AGENT_PULL,
    allowNetworkStorage: e.ARCHWAY_AGENT_ALLOW_NETWORK_STORAGE,
    liveLogLimit: { lines: e.ARCHWAY_AGENT_LIVE_LOG_MAX_LINES, bytes: e.ARCHWAY_AGENT_LIVE_LOG_MAX_SIZE },
  };
}

type ParsedEnv = z.infer<typeof Env>;

function crossCheck(e: ParsedEnv): string[] {
  const problems: string[] = [];
  if (e.ARCHWAY_AGENT_LOCK_DURATION < 3000) problems.push('ARCHWAY_AGENT_LOCK_DURATION must be at least 3s (the lock is renewed every half of it)');
  if (e.ARCHWAY_AGENT_BUILD_TIMEOUT <= 0) problems.push('ARCHWAY_AGENT_BUILD_TIMEOUT must be more than 0');
  const min = e.ARCHWAY_AGENT_MIN_FREE_SPACE;
  const stop = e.ARCHWAY_AGENT_STOP_FREE_SPACE;
  // Comparable only in the same unit; mixed units are checked against the real disk at start (disk/watermarks.ts).
  const comparable = ('bytes' in min && 'bytes' in stop) || ('percent' in min && 'percent' in stop);
  if (comparable && (('bytes' in min ? min.bytes : min.percent) as number) <= (('bytes' in stop ? stop.bytes : stop.percent) as number)) {
    problems.push(
      `ARCHWAY_AGENT_MIN_FREE_SPACE (${formatSize(min)}) must be more than ARCHWAY_AGENT_STOP_FREE_SPACE (${formatSize(stop)}): a task would be stopped as soon as it starts`,
    );
  }
  if (e.ARCHWAY_AGENT_SECRET_KEY && e.ARCHWAY_AGENT_SECRET_KEY_FILE) problems.push('set ARCHWAY_AGENT_SECRET_KEY or ARCHWAY_AGENT_SECRET_KEY_FILE, not both');
  return problems;
}

function loadSecretKey(inline?: string, file?: string): Buffer | undefined {
  if (inline) return buildSecretKey(inline);
  if (!file) return undefined;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`ARCHWAY_AGENT_SECRET_KEY_FILE: cannot read ${file}: ${(err as Error).message}`);
  }
  return buildSecretKey(text, `ARCHWAY_AGENT_SECRET_KEY_FILE (${file})`);
}

