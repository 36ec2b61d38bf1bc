import type { Redis } from 'ioredis';
import type { FastifyBaseLogger } from 'fastify';
import { dedicatedConnection } from '../../infra/queue/redis.ts';
import { streamEntries } from '@archway/runtime';
import type { SseStream } from '../../infra/sse/sse.ts';
import { parseEntry, readLogEntries, type LogEntry } from './redis-log.ts';

export interface LogStreamOptions {
  redis: Redis;
  key: string;
  /** Resume strictly after this stream id (from Last-Event-ID); undefined: from the start. */
  after?: string;
  /** True when the task has reached a final state (the log will not grow any more). */
  isFinished: () => Promise<boolean>;
  sse: SseStream;
  log: FastifyBaseLogger;
  blockMs?: number;
}

/**
 * Replays a task's log from `after`, then follows it live with XREAD BLOCK on a connection of its
 * own, until the task is finished: `event: end` is sent once the end marker arrived (or the stream
 * went idle) *and* the task is final — an end marker alone may precede a retry.
 */
export async function streamLog(opts: LogStreamOptions): Promise<void> {
  const { sse } = opts;
  const conn = await dedicatedConnection(opts.redis, 'archway-api-log-stream');
  const onAbort = () => conn.disconnect();
  sse.signal.addEventListener('abort', onAbort, { once: true });
  let last = opts.after ?? '0';
  const send = async (e: LogEntry) => {
    last = e.id;
    if (e.line !== undefined) await sse.send('line', e.line, e.id);
  };
  try {
    for await (const e of readLogEntries(conn, opts.key, last)) await send(e);
    let checkNow = true;
    while (!sse.signal.aborted) {
      if (checkNow && (await opts.isFinished())) {
        // Lines written just before the task finished may have landed after the read above.
        for await (const e of readLogEntries(conn, opts.key, last)) await send(e);
        await sse.send('end', '');
        return;
      }
      const res = await conn.xread('COUNT', 500, 'BLOCK', opts.blockMs ?? 5000, 'STREAMS', opts.key, last);
      const entries = streamEntries(res, opts.key);
      checkNow = entries.length === 0; // idle: is the task over (maybe without an end marker, e.g. a lost agent)?
      for (const raw of entries) {
        const e = parseEntry(raw);
        await send(e);
        if (e.end) checkNow = true;
      }
    }
  } catch (err) {
    if (!sse.signal.aborted) opts.log.warn({ err }, 'log stream stopped');
  } finally {
    sse.signal.removeEventListener('abort', onAbort);
    conn.disconnect();
    sse.close();
  }
}
