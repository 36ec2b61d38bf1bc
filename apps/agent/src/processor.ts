import { DelayedError, UnrecoverableError, WaitingError, type Job } from 'bullmq';
import { JOB_CATALOG, type BuildResult } from '@archway/contract';
import { DEFER_MS, HOLD_MS, type Affinity } from './affinity.ts';
import { planAttempt, reportLostAttempt, writeMark } from './attempts.ts';
import type { CancelWatcher } from './cancel.ts';
import type { Logger } from './log.ts';
import { TaskCanceled, TaskFailure, TaskLost, TaskRequeue } from './task/errors.ts';
import { runBuildTask, type TaskContext } from './task/run-task.ts';
import type { AgentMetrics } from './metrics/agent-metrics.ts';
import { observeAttempt } from './metrics/attempt.ts';

export type ProcessorDeps = Omit<TaskContext, 'signal' | 'abort' | 'attempt' | 'lastAttempt'> & {
  cancels: CancelWatcher;
  log: Logger;
  affinity: Affinity;
  /** The agent gave a task back for lack of disk space: stop taking work until space returns. */
  onOutOfDisk: (reason: string) => void;
  /** Counts tasks, phases and caches (apps/agent/src/metrics); absent in some unit tests. */
  metrics?: AgentMetrics;
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The BullMQ processor: parse the payload, settle which attempt this is, run the task, and map
 * its outcome onto BullMQ. Final failures and cancels become UnrecoverableError (no retry, the
 * parent build fails); a requeue (shutdown, out of disk) moves the job back to the queue without
 * using an attempt; other failures are thrown as is and retried per the job's attempts/backoff.
 */
export function createProcessor(deps: ProcessorDeps) {
  const agent = deps.config.agentId;
  return async (job: Job, token?: string): Promise<BuildResult> => {
    const parsed = JOB_CATALOG.build.payload.safeParse(job.data);
    if (!parsed.success) {
      const fields = parsed.error.issues.map((i) => i.path.join('.') || '(root)').join(', ');
      deps.log('job.invalid', { job: job.id, fields }, 'error');
      throw new UnrecoverableError(`invalid build job payload (fields: ${fields})`);
    }
    const data = parsed.data;

    const preferred = await deps.affinity.deferTo(job, data.source.url);
    if (preferred) {
      deps.log('task.deferred', { task: data.taskId, to: preferred });
      await job.moveToDelayed(Date.now() + DEFER_MS, token);
      await sleep(HOLD_MS);
      throw new DelayedError();
    }

    const plan = planAttempt(job);
    if (plan.lost) {
      const final = plan.spent >= plan.maxAttempts;
      const reason = await reportLostAttempt(deps.redis, deps.config.queuePrefix, data, plan.lost, final, deps.config.lockMs);
      deps.log('task.agent-lost', { task: data.taskId, agent: plan.lost.agent, attempt: plan.lost.attempt, final });
      deps.metrics?.tasks.inc({ platform: data.platform, outcome: 'failed', cause: 'agent-lost' });
      if (final) throw new UnrecoverableError(reason);
    }
    await writeMark(job, { attempt: plan.attempt, agent, running: true });
    const lastAttempt = plan.spent + 1 >= plan.maxAttempts;

    const observer = observeAttempt(deps.metrics, job, data, plan.attempt);
    const controller = deps.cancels.register(data.taskId);
    const started = Date.now();
    deps.log('task.start', { task: data.taskId, build: data.buildId, platform: data.platform, attempt: plan.attempt });
    try {
      const result = await runBuildTask(data, {
        ...deps,
        signal: controller.signal,
        abort: (reason) => controller.abort(reason),
        attempt: plan.attempt,
        lastAttempt,
        ownsJob: async () => !token || (await job.extendLock(token, deps.config.lockMs)) === 1,
        ...(observer ? { observer } : {}),
      });
      deps.log('task.built', { task: data.taskId, digest: result.manifestDigest, bytes: result.archiveSize, ms: Date.now() - started });
      await deps.affinity.record(data.source.url).catch(() => {});
      return result;
    } catch (err) {
      if (err instanceof TaskLost) {
        // The job and its attempt mark belong to the attempt that took over: touch neither.
        deps.log('task.lost-lock', { task: data.taskId, attempt: plan.attempt, reason: err.message }, 'warn');
        throw err;
      }
      // The attempt ended here, reported: the next agent must not take it for a lost one.
      await writeMark(job, { attempt: plan.attempt, agent, running: false }).catch(() => {});
      if (err instanceof TaskRequeue) {
        deps.log('task.requeued', { task: data.taskId, cause: err.attemptCause, reason: err.message }, 'warn');
        if (err.attemptCause === 'out-of-disk') deps.onOutOfDisk(err.message);
        await job.moveToWait(token);
        throw new WaitingError();
      }
      if (err instanceof TaskCanceled) {
        deps.log('task.canceled', { task: data.taskId, ms: Date.now() - started });
        throw new UnrecoverableError('canceled');
      }
      const final = (err instanceof TaskFailure && !err.retryable) || lastAttempt;
      deps.log('task.failed', { task: data.taskId, final, reason: (err as Error).message, ms: Date.now() - started }, 'warn');
      if (final) throw new UnrecoverableError((err as Error).message);
      throw err;
    } finally {
      observer?.end();
      deps.cancels.unregister(data.taskId);
    }
  };
}
