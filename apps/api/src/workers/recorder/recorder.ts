import type { Redis } from 'ioredis';
import { BuildEvent, redisKeys } from '@archway/contract';
import type { PrismaClient } from '../../infra/db.ts';
import { consumeStream, type RawStreamEntry } from '@archway/runtime';
import { applyEvent, isPermanent } from './apply.ts';
import { stopOtherImages } from './images.ts';

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

  async function handle([id, fields]: Entry, conn: Redis): Promise<void> {
    const raw = fields ? fields[fields.indexOf('e') + 1] : undefined;
    let event: BuildEvent | undefined;
    try {
      event = raw ? BuildEvent.parse(JSON.parse(raw)) : undefined;
    } catch (err) {
      log.warn({ id, err: (err as Error).message }, 'recorder: dropping an invalid event');
    }
    if (!event) return;
    let changed = false;
    try {
      changed = await applyEvent(deps.prisma, event);
    } catch (err) {
      if (!isPermanent(err)) throw err; // kept pending, retried (e.g. Postgres is down)
      log.warn({ id, type: event.type, buildId: event.buildId, err: (err as Error).message }, 'recorder: dropping an event that cannot be applied');
    }
    if (changed) await stopOtherImages(deps.prisma, conn, deps.prefix, event);
    if (changed) await conn.publish(keys.buildChanged, event.buildId);
    await deps.afterApply?.(event);
  }

  return consumeStream({
    redis: deps.redis,
    key: keys.events,
    group: RECORDER_GROUP,
    start: '0',
    connectionName: 'archway-recorder',
    consumer: deps.consumer,
    blockMs: deps.blockMs,
    claimIdleMs: deps.claimIdleMs,
    batch: deps.batch,
    ack: 'after-handle',
    handle,
    onError: (message, retryInMs) => log.error({ err: message, retryInMs }, 'recorder: failed, will retry'),
    onConnectionError: (err) => log.warn({ err: err.message }, 'recorder: Redis connection error'),
    onClaimed: (count) => log.info({ count }, 'recorder: took over pending events of another consumer'),
  });
}
