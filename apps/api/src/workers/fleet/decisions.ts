import type { Redis } from 'ioredis';
import { redisKeys, ScaleDecision } from '@archway/contract';

/** How many decisions are kept for the dashboard (the logs keep every one). */
export const KEPT_DECISIONS = 100;

/** Appends a decision to the capped list every API replica reads (newest first). */
export async function keepDecision(redis: Redis, prefix: string, d: ScaleDecision): Promise<void> {
  const key = redisKeys(prefix).fleetDecisions;
  await redis
    .multi()
    .lpush(key, JSON.stringify(d))
    .ltrim(key, 0, KEPT_DECISIONS - 1)
    .exec();
}

export async function recentDecisions(redis: Redis, prefix: string, limit = 30): Promise<ScaleDecision[]> {
  const raw = await redis.lrange(redisKeys(prefix).fleetDecisions, 0, limit - 1);
  const out: ScaleDecision[] = [];
  for (const r of raw) {
    const parsed = ScaleDecision.safeParse(JSON.parse(r));
    if (parsed.success) out.push(parsed.data);
  }
  return out;
}
