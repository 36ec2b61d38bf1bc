import type { Redis } from 'ioredis';
import { BuildEvent } from '@archway/contract';
import { redisKeys } from '@archway/contract';

/** Caps the events stream; the recorder keeps up long before this matters. */
const EVENTS_MAXLEN = 100_000;
/** Live logs stay in Redis this long after the last line; the full log lives in the object store. */
export const LOG_TTL_SECONDS = 24 * 3600;

export async function publishEvent(redis: Redis, prefix: string, event: BuildEvent): Promise<string> {
  const parsed = BuildEvent.parse(event);
  const id = await redis.xadd(redisKeys(prefix).events, 'MAXLEN', '~', String(EVENTS_MAXLEN), '*', 'e', JSON.stringify(parsed));
  return id!;
}

export function nowIso(): string {
  return new Date().toISOString();
}

/** Appends log lines of a task in one round trip; returns nothing, lines are fire-and-forget ordered. */
export async function appendLogLines(redis: Redis, prefix: string, taskId: string, attempt: number, lines: string[]): Promise<void> {
  if (lines.length === 0) return;
  const key = redisKeys(prefix).log(taskId);
  const multi = redis.multi();
  for (const line of lines) multi.xadd(key, '*', 'l', line, 'a', String(attempt));
  multi.expire(key, LOG_TTL_SECONDS);
  await multi.exec();
}

export async function endLog(redis: Redis, prefix: string, taskId: string, attempt: number): Promise<void> {
  const key = redisKeys(prefix).log(taskId);
  await redis.multi().xadd(key, '*', 'end', '1', 'a', String(attempt)).expire(key, LOG_TTL_SECONDS).exec();
}
