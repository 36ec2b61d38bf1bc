import type { Queue } from 'bullmq';

/** Each schedule is one BullMQ job scheduler on this queue, its id derived from the row's. */
export const SCHEDULES_QUEUE = 'schedules';
export const SCHEDULE_JOB = 'schedule';

export interface ScheduleJob {
  scheduleId: string;
}

interface ScheduleRow {
  id: string;
  cron: string;
  timezone: string;
  enabled: boolean;
}

export const schedulerId = (scheduleId: string) => `schedule:${scheduleId}`;

/**
 * Mirrors one Postgres schedule into BullMQ: upserted while enabled, removed otherwise. Postgres
 * stays the source of truth; the API's start re-syncs every row (scheduler.ts).
 */
export async function syncSchedule(queue: Queue, row: ScheduleRow): Promise<void> {
  if (!row.enabled) {
    await queue.removeJobScheduler(schedulerId(row.id));
    return;
  }
  await queue.upsertJobScheduler(
    schedulerId(row.id),
    { pattern: row.cron, tz: row.timezone },
    // One run at a time per schedule: a run that finds its previous build open skips (run.ts).
    {
      name: SCHEDULE_JOB,
      data: { scheduleId: row.id } satisfies ScheduleJob,
      opts: { attempts: 1, removeOnComplete: { count: 100 }, removeOnFail: { count: 100 } },
    },
  );
}

export async function unscheduleSchedule(queue: Queue, scheduleId: string): Promise<void> {
  await queue.removeJobScheduler(schedulerId(scheduleId));
}
