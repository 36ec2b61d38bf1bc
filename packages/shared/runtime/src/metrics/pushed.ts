import type { Redis } from 'ioredis';
import { redisKeys } from '@archway/contract';
import { mergeExpositions } from './exposition.ts';
import { PUSH_ROLES, type PushedMetrics, type PushRole } from './push.ts';

/**
 * The metrics every agent and merger pushed (MetricsPusher), as one exposition in which each
 * series carries its process's id as an `agent` or `merger` label. Ids whose key expired (the
 * process died without saying goodbye) are removed from the index here: their series vanish
 * from the next scrape, which Prometheus marks stale.
 */
export async function pushedMetricsExposition(redis: Redis, prefix: string, roles: readonly PushRole[] = PUSH_ROLES): Promise<string> {
  const keys = redisKeys(prefix);
  const sources: Parameters<typeof mergeExpositions>[0] = [];
  for (const role of roles) {
    const ids = (await redis.smembers(keys.pushedMetricsIndex(role))).sort();
    if (ids.length === 0) continue;
    const bodies = await redis.mget(ids.map((id) => keys.pushedMetrics(role, id)));
    const gone: string[] = [];
    for (const [i, id] of ids.entries()) {
      const body = bodies[i];
      const parsed = body ? parsePushed(body) : undefined;
      if (!body) gone.push(id);
      else if (parsed) sources.push({ labels: { [role]: id }, text: parsed.text });
    }
    if (gone.length) await redis.srem(keys.pushedMetricsIndex(role), ...gone);
  }
  return mergeExpositions(sources);
}

/** A body some other version wrote may not fit: it is skipped rather than breaking the whole scrape. */
function parsePushed(body: string): PushedMetrics | undefined {
  try {
    const parsed = JSON.parse(body) as PushedMetrics;
    return typeof parsed.text === 'string' ? parsed : undefined;
  } catch {
    return undefined;
  }
}
