import { ConflictError, ServiceUnavailableError } from '../../infra/errors.ts';
import { fromDbStatus } from '../../infra/build-status.ts';
import type { Build, Task } from '../../generated/prisma/client.ts';
import { enqueueStatus, STATUS_QUEUE } from '../../workers/statuses/index.ts';
import { requeueBuildFlow, type CreateBuildDeps } from './create.ts';

/**
 * Approves a build that waits for approval (a pull request from a fork or a first-time
 * contributor): moves it to `queued` guarded by its state — two approvals, or an approval racing
 * a cancel, change it once — then adds its flow, the same one createBuild would have added. The
 * recorder writes every later change; like creating a build, this first step is the API's. If
 * Redis refuses the flow, the build waits again and the answer is 503.
 */
export async function approveBuild(deps: CreateBuildDeps, build: Build & { tasks: Task[] }, approver: string): Promise<void> {
  const notWaiting = (status: string) => new ConflictError(`build ${build.id} is ${status}: only builds waiting for approval can be approved`);
  if (build.status !== 'waiting_for_approval') throw notWaiting(fromDbStatus(build.status));
  const moved = await deps.prisma.build.updateMany({
    where: { id: build.id, status: 'waiting_for_approval' },
    data: { status: 'queued', approvedBy: approver, approvedAt: new Date() },
  });
  if (moved.count === 0) {
    const now = await deps.prisma.build.findUnique({ where: { id: build.id }, select: { status: true } });
    throw notWaiting(now ? fromDbStatus(now.status) : 'gone');
  }
  try {
    await requeueBuildFlow(deps, build, build.tasks);
  } catch (err) {
    await deps.prisma.build.updateMany({
      where: { id: build.id, status: 'queued' },
      data: { status: 'waiting_for_approval', approvedBy: null, approvedAt: null },
    });
    throw new ServiceUnavailableError(`build ${build.id} could not be queued (${(err as Error).message}); it still waits for approval, try again`);
  }
  await enqueueStatus(deps.queues.queue(STATUS_QUEUE), { buildId: build.id, stage: 'pending' }).catch(() => {
    // Best effort: the recorder's first change of this build queues `pending` again.
  });
}
