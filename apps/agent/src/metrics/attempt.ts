import type { Job } from 'bullmq';
import type { BuildJob } from '@archway/contract';
import { contextFromCarrier } from '@archway/runtime/tracing';
import type { AgentMetrics } from './agent-metrics.ts';
import { TaskMetricsObserver } from './task-observer.ts';

/**
 * The observer of one attempt: its span continues the build's trace from the job payload. The
 * queue wait is measured on the first attempt only: a retry's job keeps its first timestamp, so
 * its wait would include the failed attempt.
 */
export function observeAttempt(metrics: AgentMetrics | undefined, job: Job, data: BuildJob, attempt: number): TaskMetricsObserver | undefined {
  if (!metrics) return undefined;
  if (attempt === 1) metrics.queueWaitSeconds.observe({ platform: metrics.platform }, Math.max(0, Date.now() - job.timestamp) / 1000);
  return new TaskMetricsObserver(metrics, contextFromCarrier(data.trace), {
    'archway.build_id': data.buildId,
    'archway.task_id': data.taskId,
    'archway.platform': data.platform,
    'archway.attempt': attempt,
  });
}
