import { Job } from 'bullmq';
import { buildQueueName, redisKeys, storedPlatform } from '@archway/contract';
import { OPEN_BUILD, OPEN_TASK, type Sweep } from './context.ts';

/**
 * Open tasks of builds that ended (another platform failed, the reconciler failed the build, a
 * lost flow) longer than the grace period ago: no event will ever close them unless an agent
 * still holds their job (it reports the outcome itself). Closed as `canceled`, their jobs
 * removed and announced canceled so that no agent starts them later.
 */
export async function closeLeftoverTasks(s: Sweep): Promise<void> {
  const tasks = await s.prisma.task.findMany({
    where: { status: { in: OPEN_TASK }, build: { status: { notIn: OPEN_BUILD }, finishedAt: { lt: new Date(s.now - s.policy.graceMs) } } },
    include: { build: { select: { status: true } } },
    take: 500,
  });
  const keys = redisKeys(s.prefix);
  for (const t of tasks) {
    const queue = buildQueueName(storedPlatform(t.platform));
    if ((await s.redis.exists(`${s.prefix}:${queue}:${t.id}:lock`)) === 1) continue;
    await s.redis.sadd(keys.canceled, t.id);
    const job = await Job.fromId(s.queues.queue(queue), t.id);
    await job?.remove().catch(() => {}); // taken meanwhile: the agent sees the canceled set
    const closed = await s.prisma.task.updateMany({
      where: { id: t.id, status: { in: OPEN_TASK } },
      data: {
        status: 'canceled',
        finishedAt: new Date(s.now),
        error: `closed by the reconciler: the build ended (${t.build.status}) before this platform did`,
      },
    });
    if (closed.count > 0) {
      s.counts.closedTasks++;
      await s.redis.publish(keys.buildChanged, t.buildId);
    }
  }
}
