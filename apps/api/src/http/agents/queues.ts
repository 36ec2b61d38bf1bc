import { buildQueueName, storedPlatform, type QueueDepth } from '@archway/contract';
import type { PrismaClient } from '../../infra/db.ts';
import type { Queues } from '../../infra/queue/queues.ts';
import type { AgentInfo } from '@archway/contract';

/**
 * Depth of each platform's build queue. Platforms come from builds ever requested and from live
 * agents, so a platform nobody serves shows up with waiting jobs and zero agents.
 */
export async function queueDepths(deps: { prisma: PrismaClient; queues: Queues }, agents: AgentInfo[]): Promise<QueueDepth[]> {
  // A loose index scan of Task_platform_idx: one probe per platform, not a read of every task
  // (Prisma's `distinct` fetches every row and dedupes in memory).
  const fromTasks = await deps.prisma.$queryRaw<{ platform: string }[]>`
    WITH RECURSIVE p AS (
      (SELECT platform FROM "Task" ORDER BY platform LIMIT 1)
      UNION ALL
      SELECT (SELECT t.platform FROM "Task" t WHERE t.platform > p.platform ORDER BY t.platform LIMIT 1) FROM p WHERE p.platform IS NOT NULL
    )
    SELECT platform FROM p WHERE platform IS NOT NULL`;
  const platforms = new Set(fromTasks.map((t) => storedPlatform(t.platform)));
  // Heartbeats are parsed with the contract's schema (registry.ts): their platforms are canonical.
  const agentPlatforms = agents.map((a) => a.platform);
  for (const p of agentPlatforms) platforms.add(p);
  // One round trip per platform at once, not one after another: /metrics asks on every scrape.
  return Promise.all(
    [...platforms].sort().map(async (platform): Promise<QueueDepth> => {
      const name = buildQueueName(platform);
      const queue = deps.queues.queue(name);
      // The wait list is LPUSHed: its oldest job is the last element.
      const [counts, [oldest]] = await Promise.all([queue.getJobCounts('waiting', 'prioritized', 'active', 'delayed'), queue.getJobs(['waiting'], -1, -1)]);
      return {
        platform,
        queue: name,
        waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0),
        active: counts.active ?? 0,
        delayed: counts.delayed ?? 0,
        oldestWaitingMs: oldest ? Math.max(0, Date.now() - oldest.timestamp) : null,
        agents: agentPlatforms.filter((p) => p === platform).length,
      };
    }),
  );
}
