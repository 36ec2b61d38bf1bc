import type { Redis } from 'ioredis';
import { Job } from 'bullmq';
import { CANCELABLE_BUILD_STATUSES, CANCELABLE_TASK_STATUSES, PUBLISH_QUEUE, buildQueueName, redisKeys, storedPlatform } from '@archway/contract';
import type { PrismaClient } from '../../infra/db.ts';
import { ConflictError, NotFoundError, ServiceUnavailableError } from '../../infra/errors.ts';
import type { Queues } from '../../infra/queue/queues.ts';

export interface CancelDeps {
  prisma: PrismaClient;
  redis: Redis;
  queues: Queues;
  prefix: string;
}

/**
 * Cancels a queued or running build: Postgres first (guarded, so a build that finished meanwhile
 * is left alone), then the queue: waiting jobs are removed, and running ones are announced to the
 * agents (set + channel), which abort buildah and report `task.canceled`.
 */
export async function cancelBuild(deps: CancelDeps, buildId: string): Promise<void> {
  const build = await deps.prisma.build.findUnique({ where: { id: buildId }, include: { tasks: true } });
  if (!build) throw new NotFoundError(`build ${buildId} not found`);
  const now = new Date();
  const moved = await deps.prisma.build.updateMany({
    where: { id: buildId, status: { in: [...CANCELABLE_BUILD_STATUSES] } },
    data: { status: 'canceled', finishedAt: now, error: 'canceled' },
  });
  if (moved.count === 0) {
    const current = await deps.prisma.build.findUnique({ where: { id: buildId }, select: { status: true } });
    throw new ConflictError(`build ${buildId} is ${current?.status ?? 'gone'}: only queued or running builds can be canceled`);
  }
  await deps.prisma.task.updateMany({
    where: { buildId, status: { in: [...CANCELABLE_TASK_STATUSES] } },
    data: { status: 'canceled', finishedAt: now },
  });

  const keys = redisKeys(deps.prefix);
  const taskIds = build.tasks.map((t) => t.id);
  try {
    // Announce before removing jobs: an agent that takes a job in between still sees the set.
    await deps.redis.sadd(keys.canceled, ...taskIds, buildId);
    for (const id of taskIds) await deps.redis.publish(redisKeys(deps.prefix).cancel, id);
    await removeWaitingJobs(deps.queues, buildId, build.tasks);
    // The recorder did not make this change: tell the dashboard and the commit-status reporter.
    await deps.redis.publish(keys.buildChanged, buildId);
  } catch (err) {
    throw new ServiceUnavailableError(
      `build ${buildId} is marked canceled, but Redis could not be told (${(err as Error).message}); agents may finish running tasks`,
    );
  }
}

/**
 * Removes the flow's jobs that no agent holds. The whole flow goes at once when no child is
 * active; otherwise only the waiting children go, one by one, and the active child's failure
 * ('canceled') fails the parent. Removing the *last* pending child would release the parent
 * (BullMQ moves it to wait), which is why the parent is taken first when possible.
 */
export async function removeWaitingJobs(queues: Queues, buildId: string, tasks: { id: string; platform: string }[]): Promise<void> {
  const removed = await queues.queue(PUBLISH_QUEUE).remove(buildId, { removeChildren: true });
  if (removed === 1) return;
  for (const task of tasks) {
    const queue = queues.queue(buildQueueName(storedPlatform(task.platform)));
    const job = await Job.fromId(queue, task.id);
    if (!job) continue;
    const state = await job.getState();
    if (state === 'waiting' || state === 'delayed' || state === 'prioritized' || state === 'waiting-children') {
      await job.remove().catch(() => {}); // taken by an agent meanwhile: it will see the cancel
    }
  }
}
