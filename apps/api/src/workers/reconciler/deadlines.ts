import type { Job } from 'bullmq';
import { buildQueueName, platformOrUndefined, redisKeys, storedPlatform } from '@archway/contract';
import { formatDuration } from '@archway/contract';
import type { Sweep } from './context.ts';
import { reportTaskFailed, stopBuildJobs, type TaskRef } from './fail.ts';

type OpenTask = TaskRef & { attempts: number };

/** The agent's attempt mark in the job's progress (apps/agent/src/attempts.ts writes it). */
function attemptMark(job: Job): { attempt?: number; agent?: string } {
  const p = job.progress as Record<string, unknown> | null;
  if (!p || typeof p !== 'object') return {};
  return { ...(typeof p.attempt === 'number' ? { attempt: p.attempt } : {}), ...(typeof p.agent === 'string' ? { agent: p.agent } : {}) };
}

/**
 * The server's deadlines for one open task whose job exists: its time limit while a job is
 * active (whatever the agent's state), a lost agent nobody replaced, and the queue-wait limit.
 * Returns whether the task was failed. The agents enforce their own time limit first; these
 * catch what they cannot (a hung or vanished agent, a platform nobody serves).
 */
export async function enforceDeadlines(s: Sweep, task: OpenTask, siblings: TaskRef[], job: Job): Promise<boolean> {
  // A job no agent ever took (no processedOn) cannot be active, so only its queue wait can be due,
  // and that is known from the job itself: no state lookup (a Redis script) for each task of a long
  // queue on every sweep while it is under the limit.
  if (job.processedOn == null && !queueWaitOverrun(s, job)) return false;
  const state = await job.getState();
  if (state === 'active') return activeDeadlines(s, task, siblings, job);
  if (state === 'waiting' || state === 'prioritized') return queueWait(s, task, siblings, job);
  return false;
}

async function activeDeadlines(s: Sweep, task: OpenTask, siblings: TaskRef[], job: Job): Promise<boolean> {
  const mark = attemptMark(job);
  const agent = mark.agent ?? 'an agent';
  const attempt = mark.attempt ?? Math.max(task.attempts, 1);
  const limit = (job.data as { timeoutMs?: number }).timeoutMs ?? s.policy.buildTimeoutMs;
  const runningMs = job.processedOn ? s.now - job.processedOn : 0;
  if (runningMs > limit + s.policy.timeoutGraceMs) {
    const reason = `${task.platform}: time limit exceeded: attempt ${attempt} on ${agent} was still running ${formatDuration(runningMs)} after it started (limit ${formatDuration(limit)}); the API stopped it (its agent did not)`;
    await reportTaskFailed(s, task, { attempt, cause: 'timeout', reason, ...(mark.agent ? { agent: mark.agent } : {}) });
    await stopBuildJobs(s, task.buildId, siblings);
    s.counts.timedOut++;
    s.log.warn({ task: task.id, build: task.buildId, agent, runningMs }, 'reconciler: task past its time limit failed');
    return true;
  }

  const locked = (await s.redis.exists(`${s.prefix}:${buildQueueName(storedPlatform(task.platform))}:${task.id}:lock`)) === 1;
  const beating = mark.agent !== undefined && s.live.some((a) => a.id === mark.agent);
  if (locked || beating) return false;
  // No lock and no heartbeat: the agent is gone, and no agent of the platform ran BullMQ's stalled
  // check (which would have put the job back in the queue). Count from the first sweep that saw it.
  const key = redisKeys(s.prefix).lostSince;
  s.suspects.add(task.id);
  await s.redis.hsetnx(key, task.id, String(s.now));
  const since = Number(await s.redis.hget(key, task.id)) || s.now;
  if (s.now - since < s.policy.agentLostMs) return false;
  const others = s.live.filter((a) => servesPlatform(a.platform, task.platform)).length;
  const reason =
    `${task.platform}: agent ${agent} was lost during attempt ${attempt} (no heartbeat, its lock on the job expired) and ` +
    (others === 0 ? `no other agent of ${task.platform} is connected to take the task over` : `no other agent of ${task.platform} took the task over`) +
    ` within ${formatDuration(s.now - since)}`;
  await reportTaskFailed(s, task, { attempt, cause: 'agent-lost', reason, ...(mark.agent ? { agent: mark.agent } : {}) });
  await stopBuildJobs(s, task.buildId, siblings, job);
  await s.redis.hdel(key, task.id);
  s.counts.agentLost++;
  s.log.warn({ task: task.id, build: task.buildId, agent }, 'reconciler: task of a lost agent failed');
  return true;
}

/**
 * Waiting since it was queued or last started (a retry, a requeue, a stalled job put back), against
 * its repository's limit (carried in the job) or else ARCHWAY_QUEUE_WAIT_LIMIT (0: none).
 */
async function queueWait(s: Sweep, task: OpenTask, siblings: TaskRef[], job: Job): Promise<boolean> {
  const over = queueWaitOverrun(s, job);
  if (!over) return false;
  const { own, limitMs, waitingMs } = over;
  const setting = own ? "the repository's queueWaitLimit" : 'ARCHWAY_QUEUE_WAIT_LIMIT';
  const reason = `${task.platform}: waited ${formatDuration(waitingMs)} for an agent (${setting} ${formatDuration(limitMs)}): ${whatWasMissing(s, task.platform)}`;
  await reportTaskFailed(s, task, { attempt: task.attempts + 1, cause: 'queue-wait', reason });
  await stopBuildJobs(s, task.buildId, siblings);
  s.counts.queueWait++;
  s.log.warn({ task: task.id, build: task.buildId, waitingMs }, 'reconciler: task waited too long for an agent');
  return true;
}

/** How far a waiting job is past its repository's queue-wait limit, else ARCHWAY_QUEUE_WAIT_LIMIT (0: none); undefined within it. */
function queueWaitOverrun(s: Sweep, job: Job): { own: number | undefined; limitMs: number; waitingMs: number } | undefined {
  const own = (job.data as { queueWaitLimitMs?: number }).queueWaitLimitMs;
  const limitMs = own ?? s.policy.queueWaitLimitMs;
  const waitingMs = s.now - Math.max(job.timestamp, job.processedOn ?? 0);
  return limitMs > 0 && waitingMs > limitMs ? { own, limitMs, waitingMs } : undefined;
}

function whatWasMissing(s: Sweep, platform: string): string {
  const agents = s.live.filter((a) => servesPlatform(a.platform, platform));
  if (agents.length === 0) return `no agent of ${platform} is connected`;
  const problems = agents.filter((a) => a.problem).map((a) => `${a.id}: ${a.problem}`);
  if (problems.length === agents.length) return `every agent of ${platform} takes no work (${problems.join('; ')})`;
  const draining = agents.filter((a) => a.state === 'draining').length;
  return `all ${agents.length} agent(s) of ${platform} were busy${draining ? ` (${draining} draining)` : ''}${problems.length ? `; ${problems.join('; ')}` : ''}`;
}

function servesPlatform(agentPlatform: string, platform: string): boolean {
  // A platform we cannot name serves none of our queues.
  return platformOrUndefined(agentPlatform) === platform;
}
