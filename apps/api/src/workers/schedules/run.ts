import { OPEN_BUILD_STATUSES, type ScheduleRunResult } from '@archway/contract';
import type { AppDeps } from '../../deps.ts';
import { HttpError } from '../../infra/errors.ts';
import { dbStatuses, fromDbStatus } from '../../infra/build-status.ts';
import { acceptRepoBuild, resolveRepoTrigger, triggerRef } from '../../http/repos/index.ts';

export interface ScheduleRun {
  result: ScheduleRunResult | 'gone';
  message: string;
  buildId?: string;
}

/**
 * One firing of a schedule: the branch's head is built with trigger `schedule`, unless the
 * previous build of that branch is still open (then it is skipped and the reason recorded), so
 * a schedule never piles builds up behind a slow or stuck one. Builds go through the same
 * function as a repository build of a ref (acceptRepoBuild; the resolver reads .archway.yaml).
 */
export async function runSchedule(deps: AppDeps, scheduleId: string, now = new Date()): Promise<ScheduleRun> {
  const schedule = await deps.prisma.schedule.findUnique({ where: { id: scheduleId }, include: { repo: true } });
  if (!schedule?.enabled) return { result: 'gone', message: 'the schedule was removed or disabled' };
  const ref = triggerRef({ kind: 'branch', branch: schedule.branch, commit: '' });
  const open = await deps.prisma.build.findFirst({
    where: { repoId: schedule.repoId, triggerRef: ref, status: { in: dbStatuses(OPEN_BUILD_STATUSES) } },
    orderBy: { createdAt: 'desc' },
    select: { id: true, status: true },
  });
  let run: ScheduleRun;
  if (open) {
    run = { result: 'skipped', message: `skipped: build ${open.id} of ${schedule.branch} is still ${fromDbStatus(open.status)}` };
  } else {
    try {
      const t = await resolveRepoTrigger(schedule.repo, `refs/heads/${schedule.branch}`, undefined, deps.gitTimeoutMs);
      const build = await acceptRepoBuild(deps, schedule.repo, t, 'schedule');
      run = { result: 'queued', message: `build ${build.id} of ${schedule.branch} at ${t.commit.slice(0, 12)}`, buildId: build.id };
    } catch (err) {
      if (!(err instanceof HttpError)) throw err;
      run = { result: 'error', message: err.message };
    }
  }
  await deps.prisma.schedule.update({
    where: { id: schedule.id },
    data: { lastRunAt: now, lastResult: run.result, lastMessage: run.message.slice(0, 1000), ...(run.buildId ? { lastBuildId: run.buildId } : {}) },
  });
  return run;
}
