import { UnrecoverableError, type Job } from 'bullmq';
import { BuildJob, type BuildResult } from '@archway/shared';
import type { CancelWatcher } from './cancel.ts';
import type { Logger } from './log.ts';
import { TaskCanceled, TaskFailure } from './task/errors.ts';
import { runBuildTask, type TaskContext } from './task/run-task.ts';

export type ProcessorDeps = Omit<TaskContext, 'signal' | 'attempt' | 'maxAttempts'> & { cancels: CancelWatcher; log: Logger };

/**
 * The BullMQ processor: parse the payload, run the task, and map its outcome onto BullMQ.
 * Final failures and cancels become UnrecoverableError (no retry, the parent build fails);
 * everything else is thrown as is and retried per the job's attempts/backoff.
 */
export function createProcessor(deps: ProcessorDeps) {
  return async (job: Job): Promise<BuildResult> => {
    const parsed = BuildJob.safeParse(job.data);
    if (!parsed.success) {
      const fields = parsed.error.issues.map((i) => i.path.join('.') || '(root)').join(', ');
      deps.log('job.invalid', { job: job.id, fields }, 'error');
      throw new UnrecoverableError(`invalid build job payload (fields: ${fields})`);
    }
    const data = parsed.data;
    const attempt = job.attemptsMade + 1;
    const maxAttempts = job.opts.attempts ?? 1;
    const controller = deps.cancels.register(data.taskId);
    const started = Date.now();
    deps.log('task.start', { task: data.taskId, build: data.buildId, platform: data.platform, attempt });
    try {
      const result = await runBuildTask(data, { ...deps, signal: controller.signal, attempt, maxAttempts });
      deps.log('task.built', { task: data.taskId, digest: result.manifestDigest, bytes: result.archiveSize, ms: Date.now() - started });
      return result;
    } catch (err) {
      if (err instanceof TaskCanceled) {
        deps.log('task.canceled', { task: data.taskId, ms: Date.now() - started });
        throw new UnrecoverableError('canceled');
      }
      const final = err instanceof TaskFailure && !err.retryable;
      deps.log('task.failed', { task: data.taskId, final: final || attempt >= maxAttempts, reason: (err as Error).message, ms: Date.now() - started }, 'warn');
      if (final) throw new UnrecoverableError(err.message);
      throw err;
    } finally {
      deps.cancels.unregister(data.taskId);
    }
  };
}
