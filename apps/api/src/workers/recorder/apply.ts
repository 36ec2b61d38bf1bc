import {
  CANCELABLE_BUILD_STATUSES,
  QUEUED_BUILD_STATUSES,
  OPEN_TASK_STATUSES,
  REASON_MAX_CHARS,
  boundReason,
  taskLogPointer,
  type BuildEvent,
} from '@archway/contract';
import { dbStatuses } from '../../infra/build-status.ts';
import type { PrismaClient } from '../../infra/db.ts';
import { prismaCode } from '../../infra/db.ts';
import { recordAttempt } from './attempts.ts';
import { applyImagePublished } from './images.ts';
import { applyPhaseEnded, applyPhaseStarted } from './phases.ts';

/** States a task or build may still leave. Final states are never left again. */
const OPEN_TASK = [...OPEN_TASK_STATUSES];
/**
 * Agent and merger events move only builds handed to Redis (or, for a failure, one still
 * resolving), never one waiting for approval.
 */
const OPEN_BUILD = dbStatuses(['resolving', ...QUEUED_BUILD_STATUSES]);

/**
 * Applies one event to Postgres. Every write is guarded by the state it may come from, so events
 * that repeat (at-least-once delivery) or arrive late change nothing. Returns whether any row
 * changed (then the dashboard is told).
 */
export async function applyEvent(prisma: PrismaClient, event: BuildEvent): Promise<boolean> {
  // An agent with a broken clock format must not stall the stream: take the time of arrival then.
  const parsed = new Date(event.at);
  const at = Number.isNaN(parsed.getTime()) ? new Date() : parsed;
  event = { ...event, at: at.toISOString() };
  if ('reason' in event && event.reason.length > REASON_MAX_CHARS) event = { ...event, reason: await bounded(prisma, event) };
  const changed = await applyState(prisma, event, at);
  return (await recordAttempt(prisma, event, at)) || changed;
}

/**
 * A multi-KB reason (a buildah dump) is stored as its first lines and a pointer to the task's
 * full log; the same bounded text goes to the task, the build and the attempt history.
 */
async function bounded(prisma: PrismaClient, event: BuildEvent & { reason: string }): Promise<string> {
  const taskId = 'taskId' in event ? event.taskId : null;
  const task = taskId ? await prisma.task.findUnique({ where: { id: taskId }, select: { platform: true } }) : null;
  return boundReason(event.reason, task ? taskLogPointer(event.buildId, task.platform) : `details: GET /api/v1/builds/${event.buildId} and the merger's log`);
}

async function applyState(prisma: PrismaClient, event: BuildEvent, at: Date): Promise<boolean> {
  switch (event.type) {
    case 'task.started': {
      const task = await prisma.task.updateMany({
        // A late duplicate of an earlier attempt must not wind the attempt counter back.
        where: { id: event.taskId, buildId: event.buildId, status: { in: OPEN_TASK }, attempts: { lte: event.attempt } },
        data: { status: 'running', attempts: event.attempt, agent: event.agent },
      });
      const first = await prisma.task.updateMany({ where: { id: event.taskId, startedAt: null }, data: { startedAt: at } });
      const build = await prisma.build.updateMany({ where: { id: event.buildId, status: 'queued' }, data: { status: 'running', startedAt: at } });
      return task.count + first.count + build.count > 0;
    }
    case 'phase.started':
      return applyPhaseStarted(prisma, event);
    case 'phase.ended':
      return applyPhaseEnded(prisma, event);
    case 'task.built': {
      const r = event.result;
      const task = await prisma.task.updateMany({
        // An attempt that lost its job to a later one (whose task.started came first) must not
        // record its archive: the merger publishes the later attempt's.
        where: { id: event.taskId, buildId: event.buildId, status: { in: OPEN_TASK }, attempts: { lte: event.attempt } },
        data: {
          status: 'built',
          error: null,
          manifestDigest: r.manifestDigest,
          archiveKey: r.archiveKey,
          archiveSize: BigInt(r.archiveSize),
          archiveDigest: r.archiveDigest,
          // What the base-image watcher polls (workers/base-watch).
          baseImages: r.baseImages ?? [],
          ...(r.supply ? { supply: r.supply } : {}),
          finishedAt: at,
        },
      });
      return task.count > 0;
    }
    case 'task.failed':
      return event.final ? applyFinalFailure(prisma, event, at) : applyRetriedFailure(prisma, event);
    case 'task.requeued': {
      // Back in the queue without using up an attempt; the next task.started moves it on again.
      const task = await prisma.task.updateMany({
        where: { id: event.taskId, buildId: event.buildId, status: { in: OPEN_TASK }, attempts: { lte: event.attempt } },
        data: { status: 'queued', error: `attempt ${event.attempt} on ${event.agent} requeued: ${event.reason}` },
      });
      return task.count > 0;
    }
    case 'task.canceled': {
      const task = await prisma.task.updateMany({
        where: { id: event.taskId, buildId: event.buildId, status: { in: OPEN_TASK } },
        data: { status: 'canceled', finishedAt: at },
      });
      return task.count > 0;
    }
    case 'build.cancel-requested':
      return applyCancel(prisma, event.buildId, at);
    case 'build.publishing': {
      const b = await prisma.build.updateMany({ where: { id: event.buildId, status: { in: ['queued', 'running'] } }, data: { status: 'publishing' } });
      return b.count > 0;
    }
    case 'build.succeeded': {
      if (event.image) return applyImagePublished(prisma, { ...event, image: event.image }, at);
      const b = await prisma.build.updateMany({
        where: { id: event.buildId, status: { in: OPEN_BUILD } },
        data: {
          status: 'succeeded',
          indexDigest: event.indexDigest,
          finishedAt: at,
          error: null,
          ...(event.supplyChain ? { supplyChain: event.supplyChain } : {}),
        },
      });
      return b.count > 0;
    }
    case 'build.failed': {
      const b = await prisma.build.updateMany({
        where: { id: event.buildId, status: { in: OPEN_BUILD } },
        data: { status: 'failed', error: event.reason, finishedAt: at },
      });
      return b.count > 0;
    }
  }
}

/** Build states a cancel may come from (a publishing build is past the point of no return). */
const CANCELABLE_BUILD = dbStatuses(CANCELABLE_BUILD_STATUSES);

/**
 * Cancels the build and its open tasks in one transaction, only if the build is still queued or
 * running: a repeat, or a cancel that loses a race with the build's end, changes nothing. Tasks
 * that finished first (`built`, `failed`) keep their state; later task events find them closed.
 */
async function applyCancel(prisma: PrismaClient, buildId: string, at: Date): Promise<boolean> {
  return prisma.$transaction(async (tx) => {
    const build = await tx.build.updateMany({
      where: { id: buildId, status: { in: CANCELABLE_BUILD } },
      data: { status: 'canceled', finishedAt: at, error: 'canceled' },
    });
    if (build.count === 0) return false;
    await tx.task.updateMany({ where: { buildId, status: { in: OPEN_TASK } }, data: { status: 'canceled', finishedAt: at } });
    return true;
  });
}

type TaskFailed = Extract<BuildEvent, { type: 'task.failed' }>;

async function applyFinalFailure(prisma: PrismaClient, event: TaskFailed, at: Date): Promise<boolean> {
  const task = await prisma.task.updateMany({
    where: { id: event.taskId, buildId: event.buildId, status: { in: OPEN_TASK } },
    data: {
      status: 'failed',
      error: event.reason,
      failedStep: event.step ?? null,
      exitCode: event.exitCode ?? null,
      finishedAt: at,
    },
  });
  const row = await prisma.task.findUnique({ where: { id: event.taskId }, select: { platform: true, image: true } });
  if (!row) return task.count > 0;
  // In a build of several images the reason names the image first.
  const image = row.image ? `image ${row.image}: ` : '';
  // The first platform to fail names the build's reason; later failures keep theirs on the task.
  const build = await prisma.build.updateMany({
    where: { id: event.buildId, status: { in: OPEN_BUILD } },
    // Agents already lead their reasons with the platform; don't say it twice.
    data: {
      status: 'failed',
      error: image + (event.reason.startsWith(`${row.platform}:`) ? event.reason : `${row.platform}: ${event.reason}`),
      finishedAt: at,
    },
  });
  return task.count + build.count > 0;
}

/** Another attempt follows: the task stays open, the reason is kept so the retry is explained. */
async function applyRetriedFailure(prisma: PrismaClient, event: TaskFailed): Promise<boolean> {
  const step = event.step ? ` at ${event.step}` : '';
  const task = await prisma.task.updateMany({
    where: { id: event.taskId, buildId: event.buildId, status: { in: OPEN_TASK }, attempts: { lte: event.attempt } },
    data: { error: `attempt ${event.attempt} failed${step}: ${event.reason} (retrying)` },
  });
  return task.count > 0;
}

/**
 * Errors retrying cannot fix: a foreign-key failure (the build was deleted meanwhile) or a value
 * Prisma refuses. The event is dropped (and logged) rather than blocking every later one.
 */
export function isPermanent(err: unknown): boolean {
  const code = prismaCode(err);
  return code === 'P2003' || code === 'P2025' || (err as Error | null)?.name === 'PrismaClientValidationError';
}
