import type { Queue } from 'bullmq';

/** Commit statuses go out through this BullMQ queue: retries with backoff, one job per transition. */
export const STATUS_QUEUE = 'statuses';

/**
 * `waiting` while a build waits for approval (the forge shows it pending, saying so); `pending`
 * once a build is queued; `running` once an agent started it (GitLab shows that state; the other
 * forges keep `pending`); `final` once it succeeded, failed or was canceled.
 */
export type StatusStage = 'waiting' | 'pending' | 'running' | 'final';

export interface StatusJob {
  buildId: string;
  stage: StatusStage;
}

/** A push that was not built (skip marker, path filters): the commit still gets a status saying why. */
export interface SkipStatusJob {
  repoId: string;
  commit: string;
  reason: string;
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

/** Queues the status of a skipped commit (job name `skipped`), once per repository and commit. */
export async function enqueueSkipStatus(queue: Queue, job: SkipStatusJob, retry: StatusRetry = DEFAULT_STATUS_RETRY): Promise<void> {
  await queue.add('skipped', job, {
    jobId: `skip-${job.repoId}-${job.commit}`,
    attempts: retry.attempts,
    backoff: { type: 'exponential', delay: retry.backoffMs },
    removeOnComplete: { age: 24 * 3600 },
    removeOnFail: { age: 7 * 24 * 3600 },
  });
}
