import type { BuildEvent } from '@archway/contract';
import type { PrismaClient } from '../../infra/db.ts';
import { prismaCode } from '../../infra/db.ts';

type PhaseStarted = Extract<BuildEvent, { type: 'phase.started' }>;
type PhaseEnded = Extract<BuildEvent, { type: 'phase.ended' }>;

const key = (e: PhaseStarted | PhaseEnded) => ({ buildId: e.buildId, taskId: e.taskId, attempt: e.attempt, name: e.name });

/**
 * One Phase row per (build, task, attempt, name). Looked up with findFirst rather than upsert:
 * build-level phases have taskId NULL, which a compound unique lookup cannot express.
 * A repeated `phase.started` leaves the row as it is.
 */
export async function applyPhaseStarted(prisma: PrismaClient, e: PhaseStarted): Promise<boolean> {
  const existing = await prisma.phase.findFirst({ where: key(e), select: { id: true } });
  if (existing) return false;
  try {
    await prisma.phase.create({
      data: { ...key(e), kind: e.kind, step: e.step ?? null, startedAt: new Date(e.at) },
    });
    return true;
  } catch (err) {
    if (prismaCode(err) === 'P2002') return false; // created concurrently by another recorder
    throw err;
  }
}

/** Closes the phase once; an end without a recorded start has nothing to measure and is dropped. */
export async function applyPhaseEnded(prisma: PrismaClient, e: PhaseEnded): Promise<boolean> {
  const phase = await prisma.phase.findFirst({ where: { ...key(e), endedAt: null } });
  if (!phase) return false;
  const endedAt = new Date(e.at);
  const r = await prisma.phase.updateMany({
    where: { id: phase.id, endedAt: null },
    data: { endedAt, durationMs: Math.max(0, endedAt.getTime() - phase.startedAt.getTime()), cached: e.cached ?? null },
  });
  return r.count > 0;
}
