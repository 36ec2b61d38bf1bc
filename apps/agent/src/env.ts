import { existsSync } from 'node:fs';
import { hostname, machine } from 'node:os';
import { resolve } from 'node:path';
import { z } from 'zod';
import { parsePlatform, platformOrUndefined, platformSlug, QueuePrefixSetting, type Platform } from '@archway/contract';
import {
  buildSecretKey,
  configProblems,
  createObjectStore,
  defineConfig,
  field,
  loadConfig as loadSpec,
  LogEnv,
  setting,
  throwIfProblems,
  type ConfigProblem,
  type LogLevel,
} from '@archway/runtime';
import { formatSize, ImagePrefixString, type Size } from '@archway/contract';
import { PushEnv } from '@archway/runtime/metrics';
import { TracingEnv } from '@archway/runtime/tracing';
import { DEFAULT_LIVE_LOG_LIMIT, type LiveLogLimit } from './report/log-sink.ts';

/**
 * Agent configuration, read once from the environment at start. The table of variables lives in
 * apps/agent/ENV.md (test/docs/env-tables.test.ts compares it with AgentEnv).
 */
export interface AgentConfig {
  /** ARCHWAY_LOG_LEVEL of the agent's own log. */
  logLevel: LogLevel;
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
  /** Who writes the SBOM of each built image: the built-in package-database reader, or `syft` from the PATH. */
  sbomScanner: 'builtin' | 'syft';
  /** Start even when the data dir is on a network/FUSE/overlay filesystem. */
  allowNetworkStorage: boolean;
  /** Bound of a task attempt's live log in Redis; the uploaded full log keeps every line. */
  liveLogLimit: LiveLogLimit;
  /** Pull-only credentials for base images (docker config); never the merger's push credentials. */
  pullAuthFile?: string;
  /** The shared layer cache: registry host + path under which each repository and platform gets a cache repository. */
  cacheRepo?: string;
  /** Credentials for the cache repository only. */
  cacheAuthFile?: string;
  /** buildah's --cache-ttl (`168h`): older cache images are not used. */
  cacheTtl: string;
  /** Port of an optional `GET /metrics` listener (for a PodMonitor); undefined: none. */
  metricsPort?: number;
  /** How often the metrics are pushed to Redis for the API's /metrics (ms); 0 or unset: never. */
  metricsPushMs?: number;
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

/** The agent's variables (apps/agent/ENV.md, checked against it by test/docs/env-tables.test.ts). */
export const AgentEnv = z.object({
  REDIS_URL: field.redisUrl(),
  ARCHWAY_QUEUE_PREFIX: QueuePrefixSetting,
  ARCHWAY_OBJECT_STORE: field.required(),
  ARCHWAY_AGENT_PLATFORM: field.text(),
  ARCHWAY_AGENT_DATA_DIR: field.text('./.archway/agent'),
  ARCHWAY_AGENT_ID: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,253}$/, 'may contain letters, digits, "_", "." and "-" (max 253, a Kubernetes node name)')
    .optional(),
  ARCHWAY_AGENT_CONCURRENCY: field.integer({ min: 1, max: 64, fallback: 1 }),
  ARCHWAY_BUILDAH_ISOLATION: field.oneOf(['chroot', 'oci', 'rootless'], 'chroot'),
  ARCHWAY_BUILDAH: field.text('buildah'),
  ARCHWAY_GIT: field.text('git'),
  // At least 3s: the lock is renewed every half of it.
  ARCHWAY_AGENT_LOCK_DURATION: field.duration({ fallback: '15s', min: 3000 }),
  ARCHWAY_AGENT_DRAIN_TIMEOUT: field.duration({ fallback: '5m' }),
  ARCHWAY_AGENT_BUILD_TIMEOUT: field.duration({ fallback: '60m', min: 1 }),
  ARCHWAY_AGENT_MIN_FREE_SPACE: field.diskSize('2GB'),
  ARCHWAY_AGENT_STOP_FREE_SPACE: field.diskSize('500MB'),
  ARCHWAY_AGENT_GC_RESERVED_SPACE: field.diskSize(),
  ARCHWAY_AGENT_GC_MAX_USED_SPACE: field.diskSize(),
  ARCHWAY_AGENT_GC_MIN_FREE_SPACE: field.diskSize(),
  ARCHWAY_AGENT_GC_KEEP_DURATION: field.duration({ fallback: '60d' }),
  ARCHWAY_AGENT_GC_INTERVAL: field.duration({ fallback: '10m' }),
  ARCHWAY_AGENT_GIT_CACHE_SIZE: field.diskSize(),
  ARCHWAY_AGENT_AFFINITY_WAIT: field.duration({ fallback: '3s' }),
  ARCHWAY_AGENT_SECRET_KEY: z.string().optional(),
  ARCHWAY_AGENT_REGISTRIES_CONF: field.text(),
  ARCHWAY_AGENT_PULL: field.oneOf(['newer', 'missing', 'always'], 'newer'),
  ARCHWAY_AGENT_PULL_AUTH_FILE: existingFile(),
  ARCHWAY_AGENT_CACHE_REPO: ImagePrefixString.optional(),
  ARCHWAY_AGENT_CACHE_AUTH_FILE: existingFile(),
  ARCHWAY_AGENT_CACHE_TTL: field.duration({ fallback: '7d', min: 60_000 }),
  ARCHWAY_AGENT_SBOM_SCANNER: field.oneOf(['builtin', 'syft'], 'builtin'),
  ARCHWAY_AGENT_ALLOW_NETWORK_STORAGE: field.bool(false),
  // Read by checkRedisForQueues (@archway/runtime redis-check.ts); here so that a bad value is named at start.
  ARCHWAY_REDIS_ALLOW_EVICTION: field.bool(false),
  ARCHWAY_AGENT_LIVE_LOG_MAX_LINES: field.integer({ min: 100, fallback: DEFAULT_LIVE_LOG_LIMIT.lines }),
  ARCHWAY_AGENT_LIVE_LOG_MAX_SIZE: field.bytes({ fallback: DEFAULT_LIVE_LOG_LIMIT.bytes, min: 64 * 1024 }),
  ARCHWAY_AGENT_METRICS_PORT: field.port({ min: 1 }),
  ...PushEnv.shape,
  ...TracingEnv.shape,
  ...LogEnv.shape,
});
export const agentConfig = defineConfig({ process: 'agent', schema: AgentEnv, secrets: ['ARCHWAY_AGENT_SECRET_KEY'], docs: 'apps/agent/ENV.md' });

/** buildkitd's defaults: 10% of the disk (at most 10 GB) reserved, 60% (≤ 100 GB) max used, 20% (≤ 100 GB) kept free. */
const GC_DEFAULTS = {
  reservedSpace: { percent: 10, capBytes: 10e9 },
  maxUsedSpace: { percent: 60, capBytes: 100e9 },
  minFreeSpace: { percent: 20, capBytes: 100e9 },
} satisfies Record<string, Size>;

/** 5% of the disk, at most 5 GB: a few dozen repositories' shallow fetches on a Raspberry Pi's card too. */
const GIT_CACHE_DEFAULT: Size = { percent: 5, capBytes: 5e9 };

export { ConfigError } from '@archway/runtime';

/** Parses the environment; throws a ConfigError listing every problem, one per line. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AgentConfig {
  const e = loadSpec(agentConfig, env);
  const problems = crossCheck(e);
  let secretKey: Buffer | undefined;
  const keyFile = setting(env, 'ARCHWAY_AGENT_SECRET_KEY_FILE');
  try {
    if (e.ARCHWAY_AGENT_SECRET_KEY !== undefined)
      secretKey = buildSecretKey(e.ARCHWAY_AGENT_SECRET_KEY, keyFile ? `ARCHWAY_AGENT_SECRET_KEY_FILE (${keyFile})` : undefined);
  } catch (err) {
    problems.push(...configProblems(err, keyFile ? 'ARCHWAY_AGENT_SECRET_KEY_FILE' : 'ARCHWAY_AGENT_SECRET_KEY'));
  }
  try {
    createObjectStore(e.ARCHWAY_OBJECT_STORE, env); // validates the URL (and S3 settings) now, not at the first job
  } catch (err) {
    problems.push(...configProblems(err, 'ARCHWAY_OBJECT_STORE'));
  }
  let platform: Platform | undefined;
  try {
    platform = e.ARCHWAY_AGENT_PLATFORM ? parsePlatform(e.ARCHWAY_AGENT_PLATFORM) : nativePlatform();
  } catch (err) {
    problems.push(...configProblems(err, 'ARCHWAY_AGENT_PLATFORM'));
  }
  throwIfProblems(agentConfig.process, problems, agentConfig.docs);
  if (!platform) throw new Error('unreachable: a platform problem is listed above');
  return {
    logLevel: e.ARCHWAY_LOG_LEVEL,
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
    sbomScanner: e.ARCHWAY_AGENT_SBOM_SCANNER,
    allowNetworkStorage: e.ARCHWAY_AGENT_ALLOW_NETWORK_STORAGE,
    liveLogLimit: { lines: e.ARCHWAY_AGENT_LIVE_LOG_MAX_LINES, bytes: e.ARCHWAY_AGENT_LIVE_LOG_MAX_SIZE },
    ...(e.ARCHWAY_AGENT_PULL_AUTH_FILE ? { pullAuthFile: resolve(e.ARCHWAY_AGENT_PULL_AUTH_FILE) } : {}),
    ...(e.ARCHWAY_AGENT_CACHE_REPO ? { cacheRepo: e.ARCHWAY_AGENT_CACHE_REPO } : {}),
    ...(e.ARCHWAY_AGENT_CACHE_AUTH_FILE ? { cacheAuthFile: resolve(e.ARCHWAY_AGENT_CACHE_AUTH_FILE) } : {}),
    // buildah reads Go durations (`10080m`), not the grammar of our variables.
    cacheTtl: `${Math.max(1, Math.round(e.ARCHWAY_AGENT_CACHE_TTL / 60_000))}m`,
    ...(e.ARCHWAY_AGENT_METRICS_PORT ? { metricsPort: e.ARCHWAY_AGENT_METRICS_PORT } : {}),
    metricsPushMs: e.ARCHWAY_METRICS_PUSH_INTERVAL,
  };
}

type ParsedEnv = z.infer<typeof AgentEnv>;

/** An optional path that must exist when given (an auth file). */
function existingFile() {
  return z
    .string()
    .optional()
    .refine((p) => !p || existsSync(p), { message: 'does not exist' });
}

function crossCheck(e: ParsedEnv): ConfigProblem[] {
  const min = e.ARCHWAY_AGENT_MIN_FREE_SPACE;
  const stop = e.ARCHWAY_AGENT_STOP_FREE_SPACE;
  // Comparable only in the same unit; mixed units are checked against the real disk at start (disk/watermarks.ts).
  const comparable = ('bytes' in min && 'bytes' in stop) || ('percent' in min && 'percent' in stop);
  if (comparable && (('bytes' in min ? min.bytes : min.percent) as number) <= (('bytes' in stop ? stop.bytes : stop.percent) as number)) {
    return [
      {
        variable: 'ARCHWAY_AGENT_MIN_FREE_SPACE',
        problem: `ARCHWAY_AGENT_MIN_FREE_SPACE (${formatSize(min)}) must be more than ARCHWAY_AGENT_STOP_FREE_SPACE (${formatSize(stop)}): a task would be stopped as soon as it starts`,
      },
    ];
  }
  return [];
}
