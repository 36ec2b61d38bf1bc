import { PUBLISH_QUEUE } from '@archway/contract';
import { checkRedisForQueues, connectRedis, createLogger, createObjectStore, type Logger, type ObjectStore } from '@archway/runtime';
import { Queue, Worker } from 'bullmq';
import { RegistryPool } from './registry/index.ts';
import { startEventsConsumer, type EventsConsumer } from './early-push/consumer.ts';
import { pushEarly } from './early-push/push-early.ts';
import { EarlyPushState } from './early-push/state.ts';
import type { MergerConfig } from './env.ts';
import { processPublishJob, reportStalled, type PublishJobResult } from './process-publish.ts';
import type { MergerMetrics } from './metrics/merger-metrics.ts';
import { registryObserver } from './metrics/merger-metrics.ts';
import { observePublish } from './metrics/observe-publish.ts';
import { startMergerMetrics } from './metrics/start.ts';

export interface MergerHandle {
  worker: Worker;
  registries: RegistryPool;
  metrics: MergerMetrics;
  /** Stops taking jobs, waits for the active ones, closes connections. */
  close(): Promise<void>;
}

export interface StartMergerOptions {
  /** An object store instance instead of the URL in the config (tests, in-process use). */
  store?: ObjectStore;
  /** One line per event; default: the merger's JSON logger (component `merger`) at info. */
  log?: (line: string) => void;
}

/**
 * BullMQ's defaults (30 s lock, stalled check every 30 s, a job failed after its second stall) left
 * a killed merger's publish waiting about a minute, and failed a build whose merger crashed twice
 * although a new attempt resumes it cheaply (blobs already in the registry are not sent again).
 * The lock is renewed every half of its duration; the publish does no long synchronous work.
 * drainDelay (s): an idle merger waits at most this long for the marker of a job put back after a stall.
 */
export const PUBLISH_STALLS = { lockDuration: 8_000, stalledInterval: 2_000, maxStalledCount: 3, drainDelay: 1 } as const;

/** The merger's event lines as JSON log records (`merger: ` is the component field now). */
export function mergerLineLog(logger: Logger): (line: string) => void {
  return (line) => logger.info(line.replace(/^merger: /, ''));
}

/** Starts the publish worker. Usable in-process (tests, the supervisor) or from main.ts. */
export async function startMerger(config: MergerConfig, opts: StartMergerOptions = {}): Promise<MergerHandle> {
  const log = opts.log ?? mergerLineLog(createLogger({ component: 'merger', level: config.logLevel }));
  const store = opts.store ?? createObjectStore(config.objectStore);
  // Workers block on Redis: they must retry forever rather than fail a command (BullMQ's advice).
  const connection = connectRedis(config.redisUrl, { maxRetriesPerRequest: null });
  const events = connectRedis(config.redisUrl, { maxRetriesPerRequest: null });
  // maxmemory-policy noeviction, AOF (docs/redis.md): a refusal (RedisSetupError) exits 2.
  const redisCheck = await checkRedisForQueues(events, { warn: (m) => log(`merger: warning: ${m}`) }).catch((err: Error) => {
    connection.disconnect();
    events.disconnect();
    throw err;
  });
  const observability = await startMergerMetrics(config, events, log);
  const { metrics } = observability;
  const registries = new RegistryPool({ ...config.registry, observer: registryObserver(metrics) });
  if (redisCheck.policy) log(`merger: redis maxmemory-policy ${redisCheck.policy}, AOF ${redisCheck.aof ? 'on' : 'off'}`);
  // The per-platform push locks expire as fast as the job lock: a killed merger's lock must not hold
  // up the attempt that takes its publish over (with a 30 s lock it waited ~30 s).
  const early = new EarlyPushState(events, config.prefix, { lockTtlMs: PUBLISH_STALLS.lockDuration });
  const deps = {
    redis: events,
    prefix: config.prefix,
    store,
    registries,
    platformConcurrency: config.platformConcurrency,
    blobConcurrency: config.blobConcurrency,
    early,
    signingKey: config.signingKey,
  };

  const worker = new Worker<unknown, PublishJobResult>(PUBLISH_QUEUE, (job) => observePublish(metrics, job, () => processPublishJob(job, deps)), {
    connection,
    prefix: config.prefix,
    concurrency: config.concurrency,
    ...PUBLISH_STALLS,
  });
  worker.on('completed', (job, result) => log(`merger: build ${job.id} published ${result.indexDigest ?? '(not pushed)'}`));
  worker.on('failed', (job, err) => {
    log(`merger: build ${job?.id} attempt ${job?.attemptsMade} failed: ${err.message}`);
    // A job that stalled too often (its merger was killed, ran out of memory or lost Redis mid-publish)
    // is failed by BullMQ without running processPublishJob: the build would stay "publishing".
    if (job?.deferredFailure) void reportStalled(events, config.prefix, job, log);
  });
  worker.on('error', (err) => log(`merger: worker error: ${err.message}`));
  await worker.waitUntilReady();

  // Pipelining: a platform's blobs and manifest go to the registry as soon as its task is built.
  let consumer: EventsConsumer | undefined;
  let publishQueue: Queue | undefined;
  if (config.earlyPushes > 0) {
    publishQueue = new Queue(PUBLISH_QUEUE, { connection: events, prefix: config.prefix });
    const earlyDeps = { redis: events, prefix: config.prefix, store, registries, state: early, publishQueue, blobConcurrency: config.blobConcurrency, log };
    consumer = startEventsConsumer({
      redis: events,
      prefix: config.prefix,
      concurrency: config.earlyPushes,
      handle: (event, signal) =>
        pushEarly(event, earlyDeps, signal).then((outcome) => {
          metrics.earlyPushes.inc({ outcome });
          return outcome;
        }),
      log,
    });
  }

  return {
    worker,
    registries,
    metrics,
    close: async () => {
      await consumer?.close();
      await worker.close();
      await publishQueue?.close();
      await registries.close();
      await observability.stop();
      await Promise.allSettled([connection.quit(), events.quit()]);
    },
  };
}
