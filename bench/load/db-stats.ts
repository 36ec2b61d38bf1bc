// bench/load: what Postgres says about one run's builds (each run's builds carry their own tag).
import type pg from 'pg';
import { FINAL_BUILD_STATUSES } from '@archway/contract';

const FINAL = [...FINAL_BUILD_STATUSES];

/** Polls until every build tagged `tag` is final (or the deadline); returns the final count. */
export async function waitForDrain(db: pg.Client, tag: string, expected: number, deadline: number): Promise<number> {
  for (;;) {
    const { rows } = await db.query('SELECT count(*)::int AS n FROM "Build" WHERE $1 = ANY(tags) AND status = ANY($2)', [tag, FINAL]);
    const n = rows[0].n as number;
    if (n >= expected || Date.now() > deadline) return n;
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function statusCounts(db: pg.Client, tag: string): Promise<Record<string, number>> {
  const { rows } = await db.query('SELECT status, count(*)::int AS n FROM "Build" WHERE $1 = ANY(tags) GROUP BY status', [tag]);
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}

export async function notFinal(db: pg.Client, tag: string, limit = 20): Promise<string[]> {
  const { rows } = await db.query('SELECT id, status FROM "Build" WHERE $1 = ANY(tags) AND NOT (status = ANY($2)) ORDER BY "createdAt" LIMIT $3', [
    tag,
    FINAL,
    limit,
  ]);
  return rows.map((r) => `${r.id} ${r.status}`);
}

export interface TaskStats {
  /** Last build's finishedAt (epoch ms). */
  lastFinishedAt: number;
  /** Per agent: tasks run and the sum of their own durations (startedAt → finishedAt). */
  agents: Map<string, { tasks: number; busyMs: number }>;
  taskMs: number[];
  /** Build queued (created) → its task started. */
  queueWaitMs: number[];
  /** max(build queued, the agent's previous task finished) → task started: the pickup delay once a slot is free. */
  pickupMs: number[];
}

/** Timings of the built tasks of the tagged builds; `slotsPerAgent` 1 makes pickup meaningful. */
export async function taskStats(db: pg.Client, tag: string): Promise<TaskStats> {
  const last = await db.query('SELECT max("finishedAt") AS t FROM "Build" WHERE $1 = ANY(tags)', [tag]);
  const { rows } = await db.query(
    `SELECT t.agent, b."createdAt" AS queued, t."startedAt" AS started, t."finishedAt" AS finished
       FROM "Task" t JOIN "Build" b ON b.id = t."buildId"
      WHERE $1 = ANY(b.tags) AND t.status = 'built' AND t."startedAt" IS NOT NULL AND t."finishedAt" IS NOT NULL
      ORDER BY t.agent, t."startedAt"`,
    [tag],
  );
  const stats: TaskStats = {
    lastFinishedAt: last.rows[0].t ? new Date(last.rows[0].t).getTime() : 0,
    agents: new Map(),
    taskMs: [],
    queueWaitMs: [],
    pickupMs: [],
  };
  let prev: { agent: string; finished: number } | undefined;
  for (const r of rows) {
    const queued = new Date(r.queued).getTime();
    const started = new Date(r.started).getTime();
    const finished = new Date(r.finished).getTime();
    const a = stats.agents.get(r.agent) ?? { tasks: 0, busyMs: 0 };
    a.tasks++;
    a.busyMs += finished - started;
    stats.agents.set(r.agent, a);
    stats.taskMs.push(finished - started);
    stats.queueWaitMs.push(started - queued);
    const free = prev && prev.agent === r.agent ? Math.max(queued, prev.finished) : queued;
    stats.pickupMs.push(started - free);
    prev = { agent: r.agent, finished };
  }
  return stats;
}

/** Rows the run left: builds, tasks, task attempts, phases (no events table: events live in Redis). */
export async function rowCounts(db: pg.Client, tag: string): Promise<Record<string, number>> {
  const { rows } = await db.query(
    `SELECT (SELECT count(*) FROM "Build" b WHERE $1 = ANY(b.tags))::int AS builds,
            (SELECT count(*) FROM "Task" t JOIN "Build" b ON b.id = t."buildId" WHERE $1 = ANY(b.tags))::int AS tasks,
            (SELECT count(*) FROM "TaskAttempt" a JOIN "Task" t ON t.id = a."taskId" JOIN "Build" b ON b.id = t."buildId" WHERE $1 = ANY(b.tags))::int AS attempts,
            (SELECT count(*) FROM "Phase" p JOIN "Build" b ON b.id = p."buildId" WHERE $1 = ANY(b.tags))::int AS phases`,
    [tag],
  );
  return rows[0];
}
