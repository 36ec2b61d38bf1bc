import type { Redis } from 'ioredis';
import { Job } from 'bullmq';
import { isCancelableBuildStatus, PUBLISH_QUEUE, buildQueueName, publishJobId, redisKeys, storedPlatform } from '@archway/contract';
import { publishEvent } from '@archway/runtime';
import { fromDbStatus } from '../../infra/build-status.ts';
import type { PrismaClient } from '../../infra/db.ts';
import { ConflictError, NotFoundError, ServiceUnavailableError } from '../../infra/errors.ts';
import type { Queues } from '../../infra/queue/queues.ts';
import { resolveTurns } from '../../infra/turns.ts';

export interface CancelDeps {
  prisma: PrismaClient;
  redis: Redis;
  queues: Queues;
  prefix: string;
  /** How long a cancel waits for the recorder to apply it (default CANCEL_WAIT_MS). */
  cancelWaitMs?: number;
}

/** The recorder applies an event within milliseconds; this only bounds an API whose recorder is behind. */
export const CANCEL_WAIT_MS = 10_000;

/** `canceled`: the recorder applied the cancel; `requested`: it is in the stream, not applied yet. */
export type CancelOutcome = 'canceled' | 'requested';

/**
 * Cancels a queued or running build. The recorder is the only writer of build state, so the API
 * publishes `build.cancel-requested` and waits (bounded) for the recorder's guarded update; a build
 * that finished first is left alone (409). Then the queue: waiting jobs are removed, and running
 * ones are announced to the agents (set + channel), which abort buildah and report `task.canceled`.
 */
export async function cancelBuild(deps: CancelDeps, buildId: string): Promise<CancelOutcome> {
  const build = await deps.prisma.build.findUnique({ where: { id: buildId }, include: { tasks: true } });
  if (!build) throw new NotFoundError(`build ${buildId} not found`);
  const current = fromDbStatus(build.status);
  if (!isCancelableBuildStatus(current)) throw notCancelable(buildId, current);
  try {
    await publishEvent(deps.redis, deps.prefix, { type: 'build.cancel-requested', buildId, at: new Date().toISOString() });
  } catch (err) {
    throw new ServiceUnavailableError(`build ${buildId} could not be canceled (Redis: ${(err as Error).message}); nothing changed, try again`);
  }
  // A wait on the recorder, not work: a resolver canceling superseded builds gives its turn back.
  const status = await resolveTurns.away(() => settled(deps, buildId));
  if (status !== 'canceled' && !isCancelableBuildStatus(status)) throw notCancelable(buildId, status);

  const keys = redisKeys(deps.prefix);
  const taskIds = build.tasks.map((t) => t.id);
  try {
    // Announce before removing jobs: an agent that takes a job in between still sees the set.
    await deps.redis.sadd(keys.canceled, ...taskIds, buildId);
    for (const id of taskIds) await deps.redis.publish(redisKeys(deps.prefix).cancel, id);
    await removeWaitingJobs(deps.queues, buildId, build.tasks);
  } catch (err) {
    throw new ServiceUnavailableError(
      `build ${buildId} is being canceled, but Redis could not tell the agents (${(err as Error).message}); agents may finish running tasks`,
    );
  }
  return status === 'canceled' ? 'canceled' : 'requested';
}

function notCancelable(buildId: string, status: string): ConflictError {
  return new ConflictError(`build ${buildId} is ${status}: only builds waiting for approval, queued or running can be canceled`);
}

/** Polls the build until the recorder moved it out of queued/running, or the wait is over. */
async function settled(deps: CancelDeps, buildId: string): Promise<string> {
  const deadline = Date.now() + (deps.cancelWaitMs ?? CANCEL_WAIT_MS);
  for (let pause = 5; ; pause = Math.min(pause * 2, 200)) {
    const row = await deps.prisma.build.findUnique({ where: { id: buildId }, select: { status: true } });
    const status = row ? fromDbStatus(row.status) : 'gone';
    if (!isCancelableBuildStatus(status) || Date.now() >= deadline) return status;
    await new Promise((r) => setTimeout(r, Math.min(pause, Math.max(0, deadline - Date.now()))));
  }
}

/**
 * Removes the flow's jobs that no agent holds. The whole flow goes at once when no child is
 * active; otherwise only the waiting children go, one by one, and the active child's failure
 * ('canceled') fails the parent. Removing the *last* pending child would release the parent
 * (BullMQ moves it to wait), which is why the parent is taken first when possible.
 */
export async function removeWaitingJobs(queues: Queues, buildId: string, tasks: { id: string; platform: string; image?: string }[]): Promise<void> {
  // One flow per image in a build of several (publishJobId); every one removed whole: done.
  let whole = true;
  for (const name of new Set(tasks.map((t) => t.image ?? ''))) {
    if ((await queues.queue(PUBLISH_QUEUE).remove(publishJobId(buildId, name || undefined), { removeChildren: true })) !== 1) whole = false;
  }
  if (whole) return;
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
