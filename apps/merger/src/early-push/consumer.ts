import { BuildEvent, redisKeys } from '@archway/contract';
import type { Redis } from 'ioredis';
import { consumeStream } from '@archway/runtime';
import type { TaskBuilt } from './push-early.ts';

/** The merger's consumer group on the events stream; independent of the API's `recorder` group. */
export const EARLY_PUSH_GROUP = 'merger';

export interface EventsConsumerOptions {
  /** Any client of the Redis to use; the consumer opens its own blocking connection from it. */
  redis: Redis;
  prefix: string;
  /** Early pushes at once; a `task.built` waits for a free slot. */
  concurrency: number;
  handle(event: TaskBuilt, signal: AbortSignal): Promise<unknown>;
  log: (line: string) => void;
  consumer?: string;
  blockMs?: number;
}

export interface EventsConsumer {
  /** Stops reading, aborts the early pushes in flight and waits for them. */
  close(): Promise<void>;
}

/**
 * Reads the events stream as group `merger` and hands every `task.built` to `handle`. Entries are
 * acknowledged on receipt: an early push is an optimisation, and one lost in a crash is simply
 * done by the publish job.
 */
export function startEventsConsumer(opts: EventsConsumerOptions): EventsConsumer {
  const abort = new AbortController();
  const running = new Set<Promise<unknown>>();
  let stopping = false;

  function dispatch(event: TaskBuilt): void {
    const p = opts.handle(event, abort.signal).catch((err) => opts.log(`merger: early push of ${event.buildId} failed: ${(err as Error).message}`));
    running.add(p);
    void p.finally(() => running.delete(p));
  }

  const stream = consumeStream({
    redis: opts.redis,
    key: redisKeys(opts.prefix).events,
    group: EARLY_PUSH_GROUP,
    // `$`: builds that finished before the first merger started are published the plain way.
    start: '$',
    connectionName: 'archway-merger-events',
    consumer: opts.consumer,
    blockMs: opts.blockMs,
    batch: 50,
    ack: 'on-receipt',
    async handle([, fields]) {
      const event = parse(fields);
      if (event?.type !== 'task.built' || stopping) return;
      while (running.size >= opts.concurrency && !stopping) await Promise.race(running);
      if (!stopping) dispatch(event);
    },
    onError: (message, wait) => opts.log(`merger: reading events failed (retry in ${wait} ms): ${message}`),
    onConnectionError: (err) => opts.log(`merger: events connection error: ${err.message}`),
  });

  return {
    async close() {
      stopping = true;
      abort.abort();
      await stream.close();
      await Promise.allSettled([...running]);
    },
  };
}

function parse(fields: string[] | null): BuildEvent | null {
  const raw = fields ? fields[fields.indexOf('e') + 1] : undefined;
  if (!raw) return null;
  try {
    return BuildEvent.parse(JSON.parse(raw));
  } catch {
    return null;
  }
}
