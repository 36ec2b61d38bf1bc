import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import { streamEntries, type RawStreamEntry } from './stream-reply.ts';

export interface StreamConsumerOptions {
  /** Any client of the Redis to use; the consumer opens its own blocking connection from it. */
  redis: Redis;
  key: string;
  group: string;
  /** Where a new group starts: `0` (the whole stream) or `$` (only what comes next). */
  start: '0' | '$';
  connectionName: string;
  /** Consumer name within the group; default `<hostname>-<pid>` (a new one per process). */
  consumer?: string;
  blockMs?: number;
  batch?: number;
  /**
   * `after-handle`: an entry is acknowledged once `handle` resolved, so a crash re-delivers it;
   * pending entries of dead consumers idle `claimIdleMs` are taken over. `on-receipt`: acknowledged
   * before `handle` (for work that is only an optimisation); nothing is ever pending.
   */
  ack: 'after-handle' | 'on-receipt';
  claimIdleMs?: number;
  /** Called for each entry in stream order; a throw (with `after-handle`) keeps it pending and retried. */
  handle(entry: RawStreamEntry, conn: Redis): Promise<void>;
  /** A failed read or handle; the loop retries after `retryInMs` (exponential, at most 30 s). */
  onError(message: string, retryInMs: number): void;
  onConnectionError?(err: Error): void;
  onClaimed?(count: number): void;
}

export interface StreamConsumer {
  /** Finishes the entry being handled, then stops. With `on-receipt` it also leaves the group. */
  close(): Promise<void>;
}

/** Consumers of crashed processes (a new name per start) with nothing pending, idle this long, leave the group. */
const FORGET_IDLE_MS = 3_600_000;

/**
 * The one loop that reads a Redis stream as a consumer group (the recorder's events, the merger's
 * early pushes): creates the group, reads its own pending entries after a restart or a failure,
 * takes over dead consumers' entries, blocks for new ones, and backs off on errors. Waits through
 * Redis outages (no fail-fast): the loop has nobody to answer to.
 */
export function consumeStream(o: StreamConsumerOptions): StreamConsumer {
  const consumer = o.consumer ?? `${hostname()}-${process.pid}`;
  const blockMs = o.blockMs ?? 5000;
  const batch = o.batch ?? 100;
  const claimIdleMs = o.claimIdleMs ?? 60_000;
  const claimEveryMs = Math.max(claimIdleMs, 5000);
  const conn = o.redis.duplicate({ maxRetriesPerRequest: null, enableOfflineQueue: true, connectionName: o.connectionName });
  conn.on('error', (err) => o.onConnectionError?.(err));
  let stopping = false;
  let blocked = false;
  const wake = new AbortController();

  async function ensureGroup(): Promise<void> {
    try {
      await conn.xgroup('CREATE', o.key, o.group, o.start, 'MKSTREAM');
    } catch (err) {
      if (!String((err as Error).message).includes('BUSYGROUP')) throw err;
    }
  }

  /** Takes over what dead consumers left pending; it is then read back as our own pending. */
  async function claimDead(): Promise<void> {
    if (o.ack === 'after-handle') {
      let cursor = '0-0';
      do {
        const res = (await conn.xautoclaim(o.key, o.group, consumer, claimIdleMs, cursor, 'COUNT', batch)) as [string, RawStreamEntry[], string[]?];
        cursor = res[0];
        if (res[1].length > 0) o.onClaimed?.(res[1].length);
      } while (cursor !== '0-0' && !stopping);
    }
    const rows = (await conn.xinfo('CONSUMERS', o.key, o.group)) as unknown[][];
    for (const row of rows) {
      const info = Object.fromEntries(Array.from({ length: row.length / 2 }, (_, i) => [row[2 * i], row[2 * i + 1]]));
      if (info.name !== consumer && Number(info.pending) === 0 && Number(info.idle) > FORGET_IDLE_MS) {
        await conn.xgroup('DELCONSUMER', o.key, o.group, String(info.name));
      }
    }
  }

  async function run(): Promise<void> {
    // Our own pending entries first (after a restart or a failed handle), then new ones.
    let readPending = o.ack === 'after-handle';
    let failures = 0;
    let lastClaim = 0;
    while (!stopping) {
      try {
        if (Date.now() - lastClaim >= claimEveryMs) {
          if (lastClaim === 0) await ensureGroup();
          await claimDead();
          lastClaim = Date.now();
          readPending = o.ack === 'after-handle';
        }
        if (stopping) break;
        blocked = !readPending;
        const block = readPending ? [] : ['BLOCK', blockMs];
        const res = await conn.call('XREADGROUP', 'GROUP', o.group, consumer, 'COUNT', batch, ...block, 'STREAMS', o.key, readPending ? '0' : '>');
        blocked = false;
        const entries = streamEntries(res, o.key);
        if (readPending && entries.length === 0) readPending = false;
        for (const entry of entries) {
          if (stopping) break;
          if (o.ack === 'on-receipt') await conn.xack(o.key, o.group, entry[0]);
          await o.handle(entry, conn);
          if (o.ack === 'after-handle') await conn.xack(o.key, o.group, entry[0]);
        }
        failures = 0;
      } catch (err) {
        blocked = false;
        if (stopping) break;
        const message = (err as Error).message;
        if (message.includes('NOGROUP')) lastClaim = 0; // the stream was deleted: recreate the group
        readPending = o.ack === 'after-handle';
        const wait = Math.min(30_000, 250 * 2 ** Math.min(++failures, 7));
        o.onError(message, wait);
        await sleep(wait, wake.signal);
      }
    }
  }

  const loop = run();
  return {
    async close() {
      stopping = true;
      wake.abort();
      if (blocked) conn.disconnect(); // interrupts XREADGROUP BLOCK; nothing is half-handled then
      await loop;
      // Everything was acknowledged on receipt: this consumer leaves nothing pending behind.
      if (o.ack === 'on-receipt') await o.redis.xgroup('DELCONSUMER', o.key, o.group, consumer).catch(() => {});
      conn.disconnect();
    },
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });
}
