import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { buildQueueName, type AgentInfo } from '@archway/shared';
import { createObjectStore, type ObjectStore } from '@archway/shared/node';
import { CancelWatcher } from './cancel.ts';
import { redactUrl, type AgentConfig } from './env.ts';
import { Heartbeat } from './heartbeat.ts';
import { cleanLeftovers } from './leftovers.ts';
import { CacheSize } from './cache-size.ts';
import { storageDirs } from './task/buildah.ts';
import { createLogger, type Logger } from './log.ts';
import { createProcessor } from './processor.ts';
import { SHUTDOWN } from './task/run-task.ts';

export const AGENT_VERSION: string = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;

export interface AgentHandle {
  id: string;
  platform: string;
  queueName: string;
  worker: Worker;
  /** Task ids being built right now. */
  currentTasks(): string[];
  /** Stops taking work, waits for the running tasks to finish, then disconnects. */
  close(): Promise<void>;
  /** Aborts the running tasks (they fail, retryable) and then closes. For a second SIGTERM. */
  forceClose(): Promise<void>;
}

export interface StartOptions {
  log?: Logger;
  /** Defaults to createObjectStore(config.objectStore). */
  store?: ObjectStore;
}

/**
 * Starts an agent: a BullMQ worker on its platform's build queue, the heartbeat and the cancel
 * subscription. The data dir must belong to this agent alone (its buildah storage is pruned of
 * working containers at start and whenever a task is canceled).
 */
export async function startAgent(config: AgentConfig, opts: StartOptions = {}): Promise<AgentHandle> {
  const log = opts.log ?? createLogger();
  const store = opts.store ?? createObjectStore(config.objectStore);
  const queueName = buildQueueName(config.platform);
  const settings = { buildah: config.buildah, dataDir: config.dataDir, platform: config.platform, isolation: config.isolation };

  await mkdir(config.dataDir, { recursive: true });
  await cleanLeftovers(config, settings, log);

  // Workers need maxRetriesPerRequest: null (BullMQ's blocking commands); the same setting keeps
  // event publishing waiting through a short Redis restart instead of failing the build.
  const redisOpts = { maxRetriesPerRequest: null, connectionName: `archway-agent:${config.agentId}` };
  const redis = new Redis(config.redisUrl, redisOpts);
  const subscriber = new Redis(config.redisUrl, redisOpts);
  const workerConnection = new Redis(config.redisUrl, redisOpts);
  for (const [name, conn] of [['redis', redis], ['subscriber', subscriber], ['worker', workerConnection]] as const) {
    conn.on('error', (err) => log('redis.error', { connection: name, error: err.message }, 'warn'));
  }

  let state: AgentInfo['state'] = 'idle';
  const cache = new CacheSize(storageDirs(settings).root);
  await cache.refresh();
  const cancels = new CancelWatcher(
    subscriber,
    config.queuePrefix,
    (taskId, running) => log('cancel.received', { task: taskId, running }),
    () => {
      void heartbeat.beat().catch(() => {});
      // A finished build changed the cache; measure again when idle, then beat with the new size.
      if (cancels.taskIds().length === 0) void cache.refresh().then(() => heartbeat.beat().catch(() => {}));
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
    },
    (err, recovered) => log(recovered ? 'heartbeat.recovered' : 'heartbeat.failed', recovered ? {} : { error: err.message }, recovered ? 'info' : 'warn'),
  );

  const processor = createProcessor({
    config,
    redis,
    store,
    log,
    cancels,
    aloneOnStorage: () => cancels.taskIds().length <= 1,
  });
  const worker = new Worker(queueName, processor, {
    connection: workerConnection,
    prefix: config.queuePrefix,
    concurrency: config.concurrency,
    autorun: false,
  });
  worker.on('error', (err) => log('worker.error', { error: err.message }, 'warn'));
  await worker.waitUntilReady();
  void worker.run().catch((err: Error) => log('worker.stopped', { error: err.message }, 'error'));
  await heartbeat.start();
  log('agent.started', {
    id: config.agentId,
    platform: config.platform,
    queue: queueName,
    prefix: config.queuePrefix,
    redis: redactUrl(config.redisUrl),
    dataDir: config.dataDir,
    concurrency: config.concurrency,
    version: AGENT_VERSION,
  });

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      state = 'draining';
      log('agent.draining', { running: cancels.taskIds().join(',') || 'none' });
      await heartbeat.beat().catch(() => {});
      await worker.close();
      await heartbeat.stop().catch(() => {});
      await cancels.stop();
      await Promise.allSettled([redis.quit(), subscriber.quit(), workerConnection.quit()]);
      log('agent.stopped', { id: config.agentId });
    })());

  return {
    id: config.agentId,
    platform: config.platform,
    queueName,
    worker,
    currentTasks: () => cancels.taskIds(),
    close,
    forceClose: async () => {
      cancels.abortAll(SHUTDOWN);
      await close();
    },
  };
}
