import { UnrecoverableError, type Job } from 'bullmq';
import { PUBLISH_QUEUE, redisKeys, type AttemptCause } from '@archway/contract';
import { nowIso, publishEvent } from '@archway/runtime';
import { removeWaitingJobs } from '../../http/builds/index.ts';
import type { Sweep } from './context.ts';

export interface TaskRef {
  id: string;
  buildId: string;
  platform: string;
}

/**
 * Fails a task for good through the recorder (a final `task.failed`, which also fails the build
 * naming the platform), exactly as an agent would report it: the recorder's guards decide, so a
 * task that finished meanwhile is left alone.
 */
export async function reportTaskFailed(s: Sweep, task: TaskRef, e: { attempt: number; cause: AttemptCause; reason: string; agent?: string }): Promise<void> {
  await publishEvent(s.redis, s.prefix, {
    type: 'task.failed',
    buildId: task.buildId,
    taskId: task.id,
    at: nowIso(),
    attempt: Math.max(1, e.attempt),
    reason: e.reason,
    final: true,
    cause: e.cause,
    ...(e.agent ? { agent: e.agent } : {}),
  });
  s.metrics?.reconcilerFailures.inc({ platform: task.platform, cause: e.cause });
}

/**
 * Makes Redis agree with a build the reconciler failed: every agent (and the merger) that holds
 * or later takes one of its jobs is told it is canceled (the set and the channel, as a cancel
 * does), so a hung agent past its time limit is told to stop; the flow is removed when nothing
 * holds it, else its waiting jobs go and a lost agent's job is failed (its lock is gone, so no
 * token is needed), which fails the publish parent: nothing of the build is published.
 */
export async function stopBuildJobs(s: Sweep, buildId: string, tasks: TaskRef[], lostJob?: Job): Promise<void> {
  const keys = redisKeys(s.prefix);
  await s.redis.sadd(keys.canceled, buildId, ...tasks.map((t) => t.id));
  for (const t of tasks) await s.redis.publish(`${s.prefix}:cancel`, t.id);
  if (lostJob) await lostJob.moveToFailed(new UnrecoverableError('failed by the API: agent lost'), '0', false).catch(() => {});
  if ((await s.queues.queue(PUBLISH_QUEUE).remove(buildId, { removeChildren: true })) === 1) return;
  await removeWaitingJobs(s.queues, buildId, tasks);
}
