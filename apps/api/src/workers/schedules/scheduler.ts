import { Queue, UnrecoverableError, Worker } from 'bullmq';
import type { AppDeps } from '../../deps.ts';
import { SCHEDULE_JOB, SCHEDULES_QUEUE, schedulerId, syncSchedule, type ScheduleJob } from './queue.ts';
import { runSchedule } from './run.ts';

export interface SchedulesLog {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface ScheduleService {
  close(): Promise<void>;
}

/**
 * Runs repository schedules in the API process. At start every Postgres row is written to BullMQ
 * again and schedulers without an enabled row are removed, so a Redis that lost its data (or a
 * change made while no API ran) ends up as Postgres says. Every replica does this and runs a
 * worker; BullMQ hands each firing to one of them.
 */
export async function startSchedules(deps: AppDeps, log?: SchedulesLog): Promise<ScheduleService> {
  const connection = deps.redis.duplicate({ maxRetriesPerRequest: null, enableOfflineQueue: true, connectionName: 'archway-schedules' });
  connection.on('error', () => {});
  const queue = new Queue(SCHEDULES_QUEUE, { connection, prefix: deps.prefix });
  queue.on('error', () => {});
  try {
    await resync(deps, queue);
  } catch (err) {
    await queue.close().catch(() => {});
    connection.disconnect();
    throw new Error(`schedules: cannot sync the schedules to Redis: ${(err as Error).message}`);
  }
  const worker = new Worker<ScheduleJob>(
    SCHEDULES_QUEUE,
    async (job) => {
      if (job.name !== SCHEDULE_JOB) throw new UnrecoverableError(`unknown schedules job "${job.name}"`);
      const run = await runSchedule(deps, job.data.scheduleId);
      log?.info({ scheduleId: job.data.scheduleId, result: run.result, buildId: run.buildId }, `schedule: ${run.message}`);
      return run;
    },
    { connection, prefix: deps.prefix, concurrency: 2 },
  );
  worker.on('failed', (job, err) => log?.warn({ scheduleId: job?.data.scheduleId, err: err.message }, 'schedule run failed'));
  worker.on('error', (err) => log?.warn({ err: err.message }, 'schedules worker error'));
  return {
    async close() {
      await worker.close().catch(() => {});
      await queue.close().catch(() => {});
      connection.disconnect();
    },
  };
}

/** Postgres → BullMQ: every row upserted (or removed when disabled), strays removed. */
export async function resync(deps: Pick<AppDeps, 'prisma'>, queue: Queue): Promise<{ synced: number; removed: number }> {
  const rows = await deps.prisma.schedule.findMany({ select: { id: true, cron: true, timezone: true, enabled: true } });
  for (const row of rows) await syncSchedule(queue, row);
  const wanted = new Set(rows.filter((r) => r.enabled).map((r) => schedulerId(r.id)));
  let removed = 0;
  for (const s of await queue.getJobSchedulers(0, -1)) {
    if (s.key && !wanted.has(s.key)) {
      await queue.removeJobScheduler(s.key);
      removed++;
    }
  }
  return { synced: rows.length, removed };
}
