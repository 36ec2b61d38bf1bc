import type { Job } from 'bullmq';
import { BuildJob } from '@archway/contract';
import type { ReconcileDeps } from './context.ts';
import { reportTaskFailed, stopBuildJobs } from './fail.ts';

/**
 * Fails the tasks of waiting build jobs for good (cause `queue-wait`, with `reason`) and stops the
 * rest of their builds, exactly as the queue-wait limit does: for the fleet, when a platform can
 * get no agent at all (docs/kubernetes.md, "No platform waits forever"). Returns how many failed.
 */
export async function failWaitingJobs(
  deps: Pick<ReconcileDeps, 'prisma' | 'redis' | 'prefix' | 'queues' | 'metrics'>,
  jobs: Job[],
  reason: string,
): Promise<number> {
  let failed = 0;
  for (const job of jobs) {
    const data = BuildJob.safeParse(job.data);
    if (!data.success) continue; // not ours to judge; the reconciler's sweep handles strays
    const task = await deps.prisma.task.findUnique({
      where: { id: data.data.taskId },
      select: { id: true, buildId: true, platform: true, attempts: true, status: true },
    });
    if (task?.status !== 'queued') continue;
    const siblings = await deps.prisma.task.findMany({ where: { buildId: task.buildId }, select: { id: true, buildId: true, platform: true } });
    await reportTaskFailed(deps, task, { attempt: task.attempts + 1, cause: 'queue-wait', reason });
    await stopBuildJobs(deps, task.buildId, siblings);
    failed++;
  }
  return failed;
}
