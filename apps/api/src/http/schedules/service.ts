import type { Schedule, ScheduleCreate, ScheduleRunResult, ScheduleUpdate } from '@archway/contract';
import type { Queue } from 'bullmq';
import type { PrismaClient } from '../../infra/db.ts';
import { ConflictError, NotFoundError } from '../../infra/errors.ts';
import type { Schedule as ScheduleRow } from '../../generated/prisma/client.ts';
import { checkCron, nextRun, syncSchedule, unscheduleSchedule } from '../../workers/schedules/index.ts';
import { UUID_RE } from '../builds/index.ts';

const MAX_PER_REPO = 20;

export function toSchedule(row: ScheduleRow, now = new Date()): Schedule {
  return {
    id: row.id,
    repoId: row.repoId,
    branch: row.branch,
    cron: row.cron,
    timezone: row.timezone,
    enabled: row.enabled,
    nextRunAt: row.enabled ? (nextRun(row.cron, row.timezone, now)?.toISOString() ?? null) : null,
    lastRunAt: row.lastRunAt?.toISOString() ?? null,
    lastResult: (row.lastResult as ScheduleRunResult | null) ?? null,
    lastMessage: row.lastMessage,
    lastBuildId: row.lastBuildId,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export async function findSchedule(prisma: PrismaClient, repoId: string, id: string): Promise<ScheduleRow> {
  const row = UUID_RE.test(id) ? await prisma.schedule.findFirst({ where: { id, repoId } }) : null;
  if (!row) throw new NotFoundError(`schedule ${id} not found in this repository`, 'scheduleId');
  return row;
}

/**
 * Writes the row, then its BullMQ scheduler. Should Redis refuse, the row stays and the error
 * answers 503: the next start of the API (or the next change) syncs it again.
 */
export async function createSchedule(prisma: PrismaClient, queue: Queue, repoId: string, input: ScheduleCreate): Promise<ScheduleRow> {
  checkCron(input.cron, input.timezone);
  const count = await prisma.schedule.count({ where: { repoId } });
  if (count >= MAX_PER_REPO) throw new ConflictError(`a repository has at most ${MAX_PER_REPO} schedules: remove one first`, 'cron');
  const row = await prisma.schedule.create({ data: { repoId, ...input } });
  await syncSchedule(queue, row);
  return row;
}

export async function updateSchedule(prisma: PrismaClient, queue: Queue, current: ScheduleRow, input: ScheduleUpdate): Promise<ScheduleRow> {
  checkCron(input.cron ?? current.cron, input.timezone ?? current.timezone);
  const row = await prisma.schedule.update({ where: { id: current.id }, data: input });
  await syncSchedule(queue, row);
  return row;
}

export async function deleteSchedule(prisma: PrismaClient, queue: Queue, row: ScheduleRow): Promise<void> {
  await prisma.schedule.delete({ where: { id: row.id } });
  await unscheduleSchedule(queue, row.id);
}
