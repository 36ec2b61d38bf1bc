import type { Queue } from 'bullmq';

/** Commit statuses go out through this BullMQ queue: retries with backoff, one job per transition. */
export const STATUS_QUEUE = 'statuses';

/**
 * `pending` once a build is queued; `running` once an agent started it (GitLab shows that state;
 * the other forges keep `pending`); `final` once it succeeded, failed or was canceled.
 */
export type StatusStage = 'pending' | 'running' | 'final';

export interface StatusJob {
  buildId: string;
  stage: StatusStage;
}

export interface StatusRetry {
  attempts: number;
  backoffMs: number;
}

export const DEFAULT_STATUS_RETRY: StatusRetry = { attempts: 6, backoffMs: 2000 };

/**
 * Queues the status of one transition. The job id makes it once per transition: the recorder's
 * notifications, several API replicas and a webhook may all ask, BullMQ keeps the first.
 */
export async function enqueueStatus(queue: Queue, job: StatusJob, retry: StatusRetry = DEFAULT_STATUS_RETRY): Promise<void> {
  await queue.add('status', job, {
    jobId: `${job.buildId}-${job.stage}`,
    attempts: retry.attempts,
    backoff: { type: 'exponential', delay: retry.backoffMs },
    removeOnComplete: { age: 24 * 3600 },
    removeOnFail: { age: 7 * 24 * 3600 },
  });
}
