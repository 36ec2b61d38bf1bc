import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { formatDuration } from '@archway/contract';
import { endLog, nowIso, publishEvent } from '@archway/runtime';
import type { BuildJob } from '@archway/contract';

/**
 * Attempt bookkeeping kept in the BullMQ job's progress, which survives retries, requeues and
 * stalls: the last attempt's number, its agent, and whether it is still running. BullMQ's own
 * counters cannot number attempts: a stalled job (agent killed) and a requeued one (shutdown,
 * out of disk) keep `attemptsMade`. Only the agent holding the job's lock writes it.
 */
export interface AttemptMark {
  attempt: number;
  agent: string;
  running: boolean;
}

export function readMark(progress: unknown): AttemptMark | undefined {
  if (!progress || typeof progress !== 'object') return undefined;
  const p = progress as Record<string, unknown>;
  if (typeof p.attempt !== 'number' || typeof p.agent !== 'string') return undefined;
  return { attempt: p.attempt, agent: p.agent, running: p.running === true };
}

export async function writeMark(job: Job, mark: AttemptMark): Promise<void> {
  await job.updateProgress({ ...mark });
}

export interface AttemptPlan {
  /** This attempt's number (1-based, never reused for a task). */
  attempt: number;
  /** Attempts spent before this one: failures (attemptsMade) and lost agents (stalledCounter). */
  spent: number;
  maxAttempts: number;
  /** The previous attempt never ended: its agent was lost. */
  lost?: AttemptMark;
}

export function planAttempt(job: Job): AttemptPlan {
  const mark = readMark(job.progress);
  const spent = job.attemptsMade + (job.stalledCounter ?? 0);
  return {
    attempt: Math.max(mark?.attempt ?? 0, job.attemptsMade) + 1,
    spent,
    maxAttempts: job.opts.attempts ?? 1,
    ...(mark?.running ? { lost: mark } : {}),
  };
}

/**
 * Reports the attempt a lost agent left open (`task.failed`, cause `agent-lost`) and ends its log
 * stream, so the task's history and live log show what happened before the next attempt starts.
 */
export async function reportLostAttempt(redis: Redis, prefix: string, data: BuildJob, lost: AttemptMark, final: boolean, lockMs: number): Promise<string> {
  // Its heartbeat key may outlive it by up to its TTL, so it cannot tell a dead agent from a hung one.
  const what = `agent ${lost.agent} was lost during attempt ${lost.attempt}: it stopped renewing its lock on the task for ${formatDuration(Math.round(lockMs / 1000) * 1000)} (killed, crashed, cut off from Redis, or its machine went away)`;
  const reason = `${data.platform}: ${what}${final ? '; no attempts left' : ''}`;
  await publishEvent(redis, prefix, {
    type: 'task.failed',
    buildId: data.buildId,
    taskId: data.taskId,
    at: nowIso(),
    attempt: lost.attempt,
    agent: lost.agent,
    reason,
    final,
    cause: 'agent-lost',
  });
  await endLog(redis, prefix, data.taskId, lost.attempt);
  return reason;
}
