import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import { BuildEvent } from '@archway/contract';
import { redisKeys } from '@archway/contract';
import type { PrismaClient } from '../../infra/db.ts';
import { streamEntries, type RawStreamEntry } from '@archway/runtime';
import { applyEvent, isPermanent } from './apply.ts';

export const RECORDER_GROUP = 'recorder';

export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface RecorderDeps {
  prisma: PrismaClient;
  /** Any client of the Redis to use; the recorder opens its own connection from it. */
  redis: Redis;
  prefix: string;
  log?: Logger;
  /** Consumer name within the group; default `<hostname>-<pid>`. */
  consumer?: string;
  blockMs?: number;
  /** Pending entries idle this long belong to a dead consumer and are taken over (default 60 s). */
  claimIdleMs?: number;
  batch?: number;
  /**
   * Runs after each event is applied, changed or not, before it is acknowledged; a failure keeps
   * the event pending and retried. For work that must not be lost with a lossy notification
   * (commit statuses): an API that died between Postgres and the notification re-applies the
   * event, changes nothing, and would otherwise never notify.
   */
  afterApply?: (event: BuildEvent) => Promise<void>;
}

export interface Recorder {
  /** Finishes the event being applied, then stops; unacknowledged entries stay pending for the next start. */
  close(): Promise<void>;
}

const silent: Logger = { info() {}, warn() {}, error() {} };
type Entry = RawStreamEntry;

/**
 * The only writer of build state: reads the events stream as consumer group `recorder` and applies
 * each event to Postgres (idempotently), tells the dashboard (PUBLISH buildChanged), then XACKs.
 * An event is acknowledged only after it was applied, so a crash re-delivers it.
 */
export function startRecorder(deps: RecorderDeps): Recorder {
  const log = deps.log ?? silent;
  const keys = redisKeys(deps.prefix);
  const consumer = deps.consumer ?? `${hostname()}-${process.pid}`;
  const blockMs = deps.blockMs ?? 5000;
  const claimIdleMs = deps.claimIdleMs ?? 60_000;
  const batch = deps.batch ?? 100;
  const claimEveryMs = Math.max(claimIdleMs, 5000);
  // Waits through Redis outages (no fail-fast here): the loop has nobody to answer to.
  const conn = deps.redis.duplicate({ maxRetriesPerRequest: null, enableOfflineQueue: true, connectionName: 'archway-recorder' });
  conn.on('error', (err) => log.warn({ err: err.message }, 'recorder: Redis connection error'));

  let stopping = false;
  let blocked = false;
  const wake = new AbortController();

  async function ensureGroup(): Promise<void> {
    try {
      await conn.xgroup('CREATE', keys.events, RECORDER_GROUP, '0', 'MKSTREAM');
    } catch (err) {
      if (!String((err as Error).message).includes('BUSYGROUP')) throw err;
    }
  }

  /** Takes over what dead consumers left pending; it is then read back as our own pending. */
  async function claimDead(): Promise<void> {
    let cursor = '0-0';
    do {
      const res = (await conn.xautoclaim(keys.events, RECORDER_GROUP, consumer, claimIdleMs, cursor, 'COUNT', batch)) as [string, Entry[], string[]?];
      cursor = res[0];
      if (res[1].length > 0) log.info({ count: res[1].length }, 'recorder: took over pending events of another consumer');
    } while (cursor !== '0-0' && !stopping);
    await forgetIdleConsumers();
  }

  /** Every restart is a new consumer name; empty ones idle for an hour are removed from the group. */
  async function forgetIdleConsumers(): Promise<void> {
    const rows = (await conn.xinfo('CONSUMERS', keys.events, RECORDER_GROUP)) as unknown[][];
    for (const row of rows) {
      const info = Object.fromEntries(Array.from({ length: row.length / 2 }, (_, i) => [row[2 * i], row[2 * i + 1]]));
      if (info.name !== consumer && Number(info.pending) === 0 && Number(info.idle) > 3_600_000) {
        await conn.xgroup('DELCONSUMER', keys.events, RECORDER_GROUP, String(info.name));
      }
    }
  }

  async function handle([id, fields]: Entry): Promise<void> {
    const raw = fields ? fields[fields.indexOf('e') + 1] : undefined;
    let event: BuildEvent | undefined;
    try {
      event = raw ? BuildEvent.parse(JSON.parse(raw)) : undefined;
    } catch (err) {
      log.warn({ id, err: (err as Error).message }, 'recorder: dropping an invalid event');
    }
    if (event) {
      let changed = false;
      try {
        changed = await applyEvent(deps.prisma, event);
      } catch (err) {
        if (!isPermanent(err)) throw err; // kept pending, retried (e.g. Postgres is down)
        log.warn({ id, type: event.type, buildId: event.buildId, err: (err as Error).message }, 'recorder: dropping an event that cannot be applied');
      }
      if (changed) await conn.publish(keys.buildChanged, event.buildId);
      await deps.afterApply?.(event);
    }
    await conn.xack(keys.events, RECORDER_GROUP, id);
  }

  async function run(): Promise<void> {
    let readPending = true;
    let failures = 0;
    let lastClaim = 0;
    while (!stopping) {
      try {
        if (Date.now() - lastClaim >= claimEveryMs) {
          if (lastClaim === 0) await ensureGroup();
          await claimDead();
          lastClaim = Date.now();
          readPending = true;
        }
        if (stopping) break;
        blocked = !readPending;
        const block = readPending ? [] : ['BLOCK', blockMs];
        const args = ['GROUP', RECORDER_GROUP, consumer, 'COUNT', batch, ...block, 'STREAMS', keys.events, readPending ? '0' : '>'];
        const res = await conn.call('XREADGROUP', ...args);
        blocked = false;
        const entries = streamEntries(res, keys.events);
        if (readPending && entries.length === 0) readPending = false;
        for (const entry of entries) {
          if (stopping) break;
          await handle(entry);
        }
        failures = 0;
      } catch (err) {
        blocked = false;
        if (stopping) break;
        const message = (err as Error).message;
        if (message.includes('NOGROUP')) lastClaim = 0; // the stream was deleted: recreate the group
        failures++;
        readPending = true;
        const wait = Math.min(30_000, 250 * 2 ** Math.min(failures, 7));
        log.error({ err: message, retryInMs: wait }, 'recorder: failed, will retry');
        await sleep(wait, wake.signal);
      }
    }
  }

  const loop = run();
  return {
    async close() {
      stopping = true;
      wake.abort();
      if (blocked) conn.disconnect(); // interrupts XREADGROUP BLOCK; nothing is half-applied then
      await loop;
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
