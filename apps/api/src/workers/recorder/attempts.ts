import type { BuildEvent } from '@archway/contract';
import type { PrismaClient } from '../../infra/db.ts';

type Ending = { outcome: 'built' | 'failed' | 'requeued' | 'canceled'; cause?: string; reason?: string; agent?: string };

/**
 * The task's history: one TaskAttempt row per attempt, from the task events. Rows are created by
 * whichever event of the attempt arrives first and ended once (`outcome` leaves `running` only
 * once), so repeated or late events change nothing. An attempt can end without having started
 * (given back for lack of disk before it began), and a lost agent's attempt is ended by the
 * `task.failed` another agent reports for it.
 */
export async function recordAttempt(prisma: PrismaClient, event: BuildEvent, at: Date): Promise<boolean> {
  switch (event.type) {
    case 'task.started': {
      const created = await ensure(prisma, event.taskId, event.attempt, event.agent);
      const started = await prisma.taskAttempt.updateMany({
        where: { taskId: event.taskId, attempt: event.attempt, startedAt: null },
        data: { startedAt: at, agent: event.agent },
      });
      return created + started.count > 0;
    }
    case 'task.built':
      return end(prisma, event.taskId, event.attempt, at, { outcome: 'built' });
    case 'task.failed':
      return end(prisma, event.taskId, event.attempt, at, {
        outcome: 'failed',
        cause: event.cause ?? (event.step ? 'step-failed' : 'error'),
        reason: event.reason,
        ...(event.agent ? { agent: event.agent } : {}),
      });
    case 'task.requeued':
      return end(prisma, event.taskId, event.attempt, at, { outcome: 'requeued', cause: event.cause, reason: event.reason, agent: event.agent });
    case 'task.canceled':
      return end(prisma, event.taskId, event.attempt, at, { outcome: 'canceled' });
    default:
      return false;
  }
}

async function ensure(prisma: PrismaClient, taskId: string, attempt: number, agent?: string): Promise<number> {
  const r = await prisma.taskAttempt.createMany({ data: [{ taskId, attempt, agent: agent ?? null }], skipDuplicates: true });
  return r.count;
}

async function end(prisma: PrismaClient, taskId: string, attempt: number, at: Date, e: Ending): Promise<boolean> {
  const created = await ensure(prisma, taskId, attempt, e.agent);
  const ended = await prisma.taskAttempt.updateMany({
    where: { taskId, attempt, outcome: 'running' },
    data: { outcome: e.outcome, endedAt: at, cause: e.cause ?? null, reason: e.reason ?? null, ...(e.agent ? { agent: e.agent } : {}) },
  });
  return created + ended.count > 0;
}
