import { Queue, UnrecoverableError, Worker } from 'bullmq';
import type { AppDeps } from '../../deps.ts';
import { RegistryPoller } from './registry.ts';
import { watchTick, type WatchOptions } from './watch.ts';

export const BASE_WATCH_QUEUE = 'base-watch';
const TICK_JOB = 'tick';

export interface BaseWatchSettings {
  intervalMs: number;
  insecureRegistries?: readonly string[];
  log?: WatchOptions['log'];
  /** The bench counts the registry requests. */
  onRequest?: (method: string, url: string) => void;
}

export interface BaseWatchService {
  close(): Promise<void>;
}

/** How often the watcher looks for due references: a tenth of the interval, between 100 ms and 30 s. */
export function tickMs(intervalMs: number): number {
  return Math.min(30_000, Math.max(100, Math.floor(intervalMs / 10)));
}

/**
 * The base-image watcher in the API process: a BullMQ job scheduler fires a tick (one replica
 * takes each), the tick polls the references that are due (workers/base-watch/watch.ts). Due
 * times live in Postgres (BaseImageWatch), so a restart neither loses nor repeats polls.
 */
export async function startBaseWatch(deps: AppDeps, settings: BaseWatchSettings): Promise<BaseWatchService> {
  const connection = deps.redis.duplicate({ maxRetriesPerRequest: null, enableOfflineQueue: true, connectionName: 'archway-base-watch' });
  connection.on('error', () => {});
  const queue = new Queue(BASE_WATCH_QUEUE, { connection, prefix: deps.prefix });
  queue.on('error', () => {});
  const poller = new RegistryPoller({ insecureRegistries: settings.insecureRegistries, onRequest: settings.onRequest });
  const options: WatchOptions = { poller, intervalMs: settings.intervalMs, log: settings.log };
  try {
    await queue.upsertJobScheduler(
      TICK_JOB,
      { every: tickMs(settings.intervalMs) },
      { name: TICK_JOB, opts: { attempts: 1, removeOnComplete: { count: 20 }, removeOnFail: { count: 50 } } },
    );
  } catch (err) {
    await queue.close().catch(() => {});
    connection.disconnect();
    throw new Error(`base-image watcher: cannot schedule its tick: ${(err as Error).message}`);
  }
  const worker = new Worker(
    BASE_WATCH_QUEUE,
    async (job) => {
      if (job.name !== TICK_JOB) throw new UnrecoverableError(`unknown base-watch job "${job.name}"`);
      return watchTick(deps, options);
    },
    { connection, prefix: deps.prefix, concurrency: 1 },
  );
  worker.on('failed', (_job, err) => settings.log?.warn({ err: err.message }, 'base-image watcher tick failed'));
  worker.on('error', (err) => settings.log?.warn({ err: err.message }, 'base-image watcher error'));
  return {
    async close() {
      await worker.close().catch(() => {});
      await queue.close().catch(() => {});
      connection.disconnect();
    },
  };
}
