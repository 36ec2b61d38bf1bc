import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { Worker } from 'bullmq';
import { buildQueueName, type AgentInfo } from '@archway/contract';
import { checkRedisForQueues, connectRedis, createObjectStore, redactUrl, type ObjectStore } from '@archway/runtime';
import { Affinity } from './affinity.ts';
import { CancelWatcher } from './cancel.ts';
import { CacheSize } from './cache-size.ts';
import { storageFs } from './disk/fs-type.ts';
import { DiskGuard } from './disk/guard.ts';
import { checkWatermarks } from './disk/watermarks.ts';
import { agentConfig, ConfigError, type AgentConfig } from './env.ts';
import { Heartbeat } from './heartbeat.ts';
import { cleanLeftovers } from './leftovers.ts';
import { createLogger, type Logger } from './log.ts';
import { startAgentMetrics } from './metrics/start.ts';
import { createProcessor } from './processor.ts';
import type { AgentMetrics } from './metrics/agent-metrics.ts';
import { storageDirs } from './task/buildah.ts';
import { SHUTDOWN } from './task/run-task.ts';

export const AGENT_VERSION: string = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;

/** How long a close waits, past the drain timeout, for Redis to take the last words (requeues, events). */
export const CLOSE_MARGIN_MS = 10_000;
/** The same after a second signal: requeue if Redis answers at once, else go. */
export const FORCE_CLOSE_MARGIN_MS = 3_000;
/** How long an idle agent's close may take. */
const IDLE_CLOSE_MS = 5_000;
/** A single bookkeeping step of a close (heartbeat, unsubscribe, quit). */
const REDIS_STEP_MS = 2_000;

/** `p`, or nothing once `ms` passed (what `p` does after that no longer matters). */
function within(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p.then(() => {}), new Promise<void>((r) => (timer = setTimeout(r, ms)))]).finally(() => clearTimeout(timer));
}

/** BullMQ fails a job that stalled more often than this on its own, silently; the agent counts lost attempts itself. */
const MAX_STALLED = 1000;

export interface AgentHandle {
  id: string;
  platform: string;
  queueName: string;
  worker: Worker;
  disk: DiskGuard;
  /** This agent's metrics registry (pushed to Redis, and served on ARCHWAY_AGENT_METRICS_PORT). */
  metrics: AgentMetrics;
  /** Task ids being built right now. */
  currentTasks(): string[];
  /**
   * Stops taking work and lets the running tasks finish; after `graceMs` (default
   * ARCHWAY_AGENT_DRAIN_TIMEOUT) they are stopped and requeued. Then disconnects.
   */
  close(graceMs?: number): Promise<void>;
  /** Stops and requeues the running tasks at once, then closes. For a second SIGTERM. */
  forceClose(): Promise<void>;
}

export interface StartOptions {
  log?: Logger;
  /** Defaults to createObjectStore(config.objectStore). */
  store?: ObjectStore;
  /** How often an agent out of disk looks for space again (GC, then statfs). */
  diskRecheckMs?: number;
}

/** The data dir cannot serve builds: a network, FUSE or overlay filesystem, or free-space watermarks that contradict each other on it. Exit code 2. */
/** The data dir cannot hold builds as configured: a restart cannot fix it, so main exits 2. */
export class StorageError extends ConfigError {
  constructor(variable: string, problem: string) {
    super(agentConfig.process, [{ variable, problem }], agentConfig.docs);
  }
}

/**
 * Starts an agent: a BullMQ worker on its platform's build queue, the heartbeat, the cancel
 * subscription and the disk guard. The data dir must be on a local filesystem and belong to this
 * agent alone (its buildah storage is pruned of working containers at start and on cancel).
 */
export async function startAgent(config: AgentConfig, opts: StartOptions = {}): Promise<AgentHandle> {
  const log = opts.log ?? createLogger();
  const store = opts.store ?? createObjectStore(config.objectStore);
  const queueName = buildQueueName(config.platform);
  const settings = { buildah: config.buildah, dataDir: config.dataDir, platform: config.platform, isolation: config.isolation };

  await mkdir(config.dataDir, { recursive: true });
  const fs = await storageFs(config.dataDir);
  if (fs.problem) {
    if (!config.allowNetworkStorage) throw new StorageError('ARCHWAY_AGENT_DATA_DIR', fs.problem);
    log('storage.unsuitable', { fs: fs.name, note: 'ARCHWAY_AGENT_ALLOW_NETWORK_STORAGE=true' }, 'warn');
  }
  const watermarks = await checkWatermarks(config);
  if (watermarks) throw new StorageError('ARCHWAY_AGENT_MIN_FREE_SPACE', watermarks);
  await cleanLeftovers(config, settings, log);
  // buildah's TMPDIR outside tasks (GC, cleanup); tasks use their own under their work dir.
  await mkdir(storageDirs(settings).tmp, { recursive: true });

  // Workers need maxRetriesPerRequest: null (BullMQ's blocking commands); the same setting keeps
  // event publishing waiting through a short Redis restart instead of failing the build.
  const redisOpts = { maxRetriesPerRequest: null, connectionName: `archway-agent:${config.agentId}` };
  const redis = connectRedis(config.redisUrl, redisOpts);
  const subscriber = connectRedis(config.redisUrl, redisOpts);
  const workerConnection = connectRedis(config.redisUrl, redisOpts);
  for (const [name, conn] of [
    ['redis', redis],
    ['subscriber', subscriber],
    ['worker', workerConnection],
  ] as const) {
    conn.on('error', (err) => log('redis.error', { connection: name, error: err.message }, 'warn'));
  }
  // maxmemory-policy noeviction, AOF (docs/redis.md): a refusal (RedisSetupError) exits 2.
  const redisCheck = await checkRedisForQueues(redis, { warn: (m) => log('redis.warning', { problem: m }, 'warn') }).catch((err: Error) => {
    for (const conn of [redis, subscriber, workerConnection]) conn.disconnect();
    throw err;
  });

  let state: AgentInfo['state'] = 'idle';
  const cache = new CacheSize(storageDirs(settings).root);
  await cache.refresh();
  const running = () => cancels.taskIds().length;
  const disk = new DiskGuard(config, settings, cache, log, running);
  const cancels = new CancelWatcher(
    subscriber,
    config.queuePrefix,
    (taskId, isRunning) => log('cancel.received', { task: taskId, running: isRunning }),
    () => {
      void heartbeat.beat().catch(() => {});
      // A finished build changed the cache; measure again when idle, then beat with the new size.
      if (cancels.taskIds().length === 0) {
        if (disk.containersLeft) void disk.cleanContainers();
        void cache.refresh().then(() => heartbeat.beat().catch(() => {}));
      }
    },
  );
  await cancels.start();

  const heartbeat = new Heartbeat(
    redis,
    config.queuePrefix,
    {
      id: config.agentId,
      platform: config.platform,
      version: AGENT_VERSION,
      concurrency: config.concurrency,
      dataDir: config.dataDir,
      state: () => (state === 'draining' ? 'draining' : cancels.taskIds().length > 0 ? 'busy' : 'idle'),
      currentTasks: () => cancels.taskIds(),
      cacheBytes: () => cache.bytes,
      problem: () => disk.problem,
    },
    (err, recovered) => log(recovered ? 'heartbeat.recovered' : 'heartbeat.failed', recovered ? {} : { error: err.message }, recovered ? 'info' : 'warn'),
  );

  // Out of disk: no more work until GC or the operator made room (checked every diskRecheckMs).
  let recheck: NodeJS.Timeout | undefined;
  const onOutOfDisk = (reason: string) => {
    disk.problem = reason;
    void worker.pause(true);
    void heartbeat.beat().catch(() => {});
    recheck ??= setInterval(() => {
      if (state === 'draining' || running() > 0) return;
      disk
        .beforeTask(true)
        .then((space) => {
          if (!space.ok || state === 'draining') return;
          clearInterval(recheck);
          recheck = undefined;
          log('disk.recovered', { free: space.freeBytes });
          void worker.resume();
          void heartbeat.beat().catch(() => {});
        })
        .catch((err: Error) => log('disk.recheck-failed', { error: err.message }, 'warn'));
    }, opts.diskRecheckMs ?? 15_000);
    recheck.unref();
  };

  const observability = await startAgentMetrics(config, { redis, disk, cache, running, log });
  const processor = createProcessor({
    metrics: observability.metrics,
    config,
    redis,
    store,
    log,
    cancels,
    disk,
    affinity: new Affinity(redis, config.queuePrefix, queueName, config.agentId, config.affinityWaitMs),
    onOutOfDisk,
    aloneOnStorage: () => cancels.taskIds().length <= 1,
  });
  const worker = new Worker(queueName, processor, {
    connection: workerConnection,
    prefix: config.queuePrefix,
    concurrency: config.concurrency,
    autorun: false,
    // A killed agent's task is back in the queue within lockDuration + 2 × stalledInterval.
    lockDuration: config.lockMs,
    stalledInterval: Math.max(1000, Math.floor(config.lockMs / 3)),
    maxStalledCount: MAX_STALLED,
  });
  worker.on('error', (err) => log('worker.error', { error: err.message }, 'warn'));
  await worker.waitUntilReady();
  void worker.run().catch((err: Error) => log('worker.stopped', { error: err.message }, 'error'));
  await heartbeat.start();
  disk.start();
  log('agent.started', {
    id: config.agentId,
    platform: config.platform,
    queue: queueName,
    prefix: config.queuePrefix,
    redis: redactUrl(config.redisUrl),
    dataDir: config.dataDir,
    fs: fs.name,
    concurrency: config.concurrency,
    version: AGENT_VERSION,
    redisPolicy: redisCheck.policy ?? 'unknown',
    redisAof: redisCheck.aof === undefined ? 'unknown' : redisCheck.aof ? 'on' : 'off',
  });

  // Every Redis command waits for a connection (maxRetriesPerRequest: null): with Redis gone, a
  // close that awaited them would never end. Each step is bounded; past the drain timeout plus
  // CLOSE_MARGIN_MS the connections are dropped, which fails whatever still waits on them.
  const connections = [redis, subscriber, workerConnection];
  const disconnect = () => {
    for (const c of connections) c.disconnect();
  };
  let closing: Promise<void> | undefined;
  let giveUp: NodeJS.Timeout | undefined;
  let giveUpAt = Infinity;
  /** Drops the connections in `ms` unless an earlier drop is already due. */
  const giveUpIn = (ms: number) => {
    if (Date.now() + ms >= giveUpAt) return;
    giveUpAt = Date.now() + ms;
    clearTimeout(giveUp);
    giveUp = setTimeout(() => {
      log('agent.close-timeout', { note: 'Redis does not answer; disconnecting', running: cancels.taskIds().join(',') || 'none' }, 'warn');
      cancels.abortAll(SHUTDOWN);
      disconnect();
    }, ms);
  };
  const close = (graceMs = config.drainTimeoutMs) =>
    (closing ??= (async () => {
      state = 'draining';
      if (recheck) clearInterval(recheck);
      log('agent.draining', { running: cancels.taskIds().join(',') || 'none', graceMs });
      // An idle agent has nothing to wait for: only bookkeeping a dead Redis will never take.
      giveUpIn(cancels.taskIds().length > 0 ? graceMs + CLOSE_MARGIN_MS : IDLE_CLOSE_MS);
      await within(
        heartbeat.beat().catch(() => {}),
        REDIS_STEP_MS,
      );
      const grace = setTimeout(() => {
        log('agent.drain-timeout', { requeued: cancels.taskIds().join(',') || 'none' }, 'warn');
        cancels.abortAll(SHUTDOWN);
      }, graceMs);
      try {
        await worker.close().catch((err: Error) => log('worker.close-failed', { error: err.message }, 'warn'));
      } finally {
        clearTimeout(grace);
      }
      await disk.stop();
      await within(observability.stop(), REDIS_STEP_MS);
      await within(
        heartbeat.stop().catch(() => {}),
        REDIS_STEP_MS,
      );
      await within(cancels.stop(), REDIS_STEP_MS);
      await within(Promise.allSettled(connections.map((c) => c.quit())), REDIS_STEP_MS);
      clearTimeout(giveUp);
      disconnect();
      log('agent.stopped', { id: config.agentId });
    })());

  return {
    id: config.agentId,
    platform: config.platform,
    queueName,
    worker,
    disk,
    metrics: observability.metrics,
    currentTasks: () => cancels.taskIds(),
    close,
    forceClose: async () => {
      cancels.abortAll(SHUTDOWN);
      giveUpIn(FORCE_CLOSE_MARGIN_MS);
      await close(0);
    },
  };
}
