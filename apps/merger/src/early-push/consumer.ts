import { hostname } from 'node:os';
import { formatDuration } from '@archway/contract';
import { setTimeout as delay } from 'node:timers/promises';
import { BuildEvent } from '@archway/contract';
import { redisKeys } from '@archway/contract';
import type { Redis } from 'ioredis';
import { streamEntries } from '@archway/runtime';
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
  const key = redisKeys(opts.prefix).events;
  const consumer = opts.consumer ?? `${hostname()}-${process.pid}`;
  const conn = opts.redis.duplicate({ maxRetriesPerRequest: null, enableOfflineQueue: true, connectionName: 'archway-merger-events' });
  conn.on('error', (err) => opts.log(`merger: events connection error: ${err.message}`));
  const abort = new AbortController();
  const running = new Set<Promise<unknown>>();
  let stopping = false;
  let blocked = false;

  async function ensureGroup(): Promise<void> {
    try {
      // `$`: builds that finished before the first merger started are published the plain way.
      await conn.xgroup('CREATE', key, EARLY_PUSH_GROUP, '$', 'MKSTREAM');
    } catch (err) {
      if (!String((err as Error).message).includes('BUSYGROUP')) throw err;
    }
    // Consumers of crashed processes (a new name per start) hold nothing: forget the idle ones.
    const rows = (await conn.xinfo('CONSUMERS', key, EARLY_PUSH_GROUP)) as unknown[][];
    for (const row of rows) {
      const info = Object.fromEntries(Array.from({ length: row.length / 2 }, (_, i) => [row[2 * i], row[2 * i + 1]]));
      if (info.name !== consumer && Number(info.idle) > 3_600_000) await conn.xgroup('DELCONSUMER', key, EARLY_PUSH_GROUP, String(info.name));
    }
  }

  function dispatch(event: TaskBuilt): void {
    const p = opts.handle(event, abort.signal).catch((err) => opts.log(`merger: early push of ${event.buildId} failed: ${(err as Error).message}`));
    running.add(p);
    void p.finally(() => running.delete(p));
  }

  async function run(): Promise<void> {
    let failures = 0;
    let ready = false;
    while (!stopping) {
      try {
        if (!ready) {
          await ensureGroup();
          ready = true;
        }
        blocked = true;
        const reply = await conn.call('XREADGROUP', 'GROUP', EARLY_PUSH_GROUP, consumer, 'COUNT', 50, 'BLOCK', opts.blockMs ?? 5000, 'STREAMS', key, '>');
        blocked = false;
        for (const [id, fields] of streamEntries(reply, key)) {
          await conn.xack(key, EARLY_PUSH_GROUP, id);
          const event = parse(fields);
          if (event?.type !== 'task.built' || stopping) continue;
          while (running.size >= opts.concurrency && !stopping) await Promise.race(running);
          if (!stopping) dispatch(event);
        }
        failures = 0;
      } catch (err) {
        blocked = false;
        if (stopping) break;
        const message = (err as Error).message;
        if (message.includes('NOGROUP')) ready = false;
        const wait = Math.min(30_000, 250 * 2 ** Math.min(++failures, 7));
        opts.log(`merger: reading events failed (retry in ${formatDuration(wait)}): ${message}`);
        await delay(wait, undefined, { signal: abort.signal }).catch(() => {});
      }
    }
  }

  const loop = run();
  return {
    async close() {
      stopping = true;
      abort.abort();
      if (blocked) conn.disconnect(); // interrupts XREADGROUP BLOCK
      await loop;
      await Promise.allSettled([...running]);
      // Everything was acknowledged on receipt: this consumer leaves nothing pending behind.
      await opts.redis.xgroup('DELCONSUMER', key, EARLY_PUSH_GROUP, consumer).catch(() => {});
      conn.disconnect();
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
