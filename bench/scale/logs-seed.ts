// bench/scale part E, seeding: 1,000,000 log lines in retention, written where and how the agents
// write them (apps/agent/src/report/log-sink.ts, task/run-task.ts uploadLog): live lines in the
// task's Redis stream (appendLogLines, batches of 200, then the end marker), the full log of a
// finished task as one object `logs/<build>/<os>-<arch>.log`. Streamed and pipelined: this
// process's memory stays flat whatever the counts.
import { Readable } from 'node:stream';
import { objectKeys, parsePlatform } from '@archway/contract';
import { appendLogLines, createObjectStore, endLog } from '@archway/runtime';
import type { Redis } from 'ioredis';
import type pg from 'pg';

/** Lines per batch, as the agent's LogSink flushes them (maxBatch). */
const BATCH = 200;
/** Tasks written at once (agents building in parallel). */
const PARALLEL = 16;

export interface LogSeed {
  lines: number;
  redisLines: number;
  objectLines: number;
  /** A finished build whose two platforms' logs are `big` lines each, in the object store. */
  bigFinished: { buildId: string };
  /** A finished task whose log is in Redis only (`big` lines), as a running task's is. */
  bigLive: { buildId: string; platform: string };
  /** Finished tasks with a live log of `perTask` lines in Redis (recent builds). */
  recent: { buildId: string; platform: string }[];
  /** Builds with object-store logs, oldest first. */
  stored: string[];
}

/** A plausible build log line (buildah/npm output), ≈ 90 bytes. */
function logLine(n: number): string {
  const step = (n % 9) + 1;
  return n % 50 === 0
    ? `STEP ${step}/9: RUN npm ci --omit=dev --no-audit --no-fund`
    : `npm warn deprecated package-${n % 997}@${n % 7}.${n % 13}.${n % 3}: this version is no longer supported (line ${n})`;
}

function* lines(count: number): Generator<string> {
  for (let n = 1; n <= count; n++) yield logLine(n);
}

async function pool<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

/** A task's live log as the agent writes it: batches of 200 lines, each one MULTI of XADDs, then the end marker. */
async function writeStream(redis: Redis, prefix: string, taskId: string, count: number): Promise<void> {
  let batch: string[] = [];
  for (const l of lines(count)) {
    batch.push(l);
    if (batch.length === BATCH) {
      await appendLogLines(redis, prefix, taskId, 1, batch);
      batch = [];
    }
  }
  await appendLogLines(redis, prefix, taskId, 1, batch);
  await endLog(redis, prefix, taskId, 1);
}

/** A finished task's full log, streamed into the object store as the agent uploads its log file. */
function logFile(count: number): Readable {
  return Readable.from(
    (function* () {
      let chunk = '';
      for (const l of lines(count)) {
        chunk += `${l}\n`;
        if (chunk.length >= 64 * 1024) {
          yield Buffer.from(chunk);
          chunk = '';
        }
      }
      if (chunk) yield Buffer.from(chunk);
    })(),
  );
}

/**
 * 1,000,000 lines over the seeded builds (`seedScale`): `recentTasks` finished tasks of the newest
 * builds with `perTask` lines each in Redis and one with `big` lines; one finished
 * build with `big` lines per platform and the rest, `perTask` lines per task, as object-store logs
 * of builds spread evenly over the seeded months.
 */
export async function seedLogs(opts: {
  db: pg.Client;
  redis: Redis;
  prefix: string;
  objectStore: string;
  total?: number;
  perTask?: number;
  big?: number;
  recentTasks?: number;
}): Promise<LogSeed> {
  const total = opts.total ?? 1_000_000;
  const perTask = opts.perTask ?? 1000;
  const big = opts.big ?? 10_000;
  const recentTasks = opts.recentTasks ?? 190;
  const store = createObjectStore(opts.objectStore);
  const { db, redis, prefix } = opts;

  // The newest finished tasks: their live logs are still in Redis (24 h), the first one's is big.
  // (Seeded `running` builds have no agent: the API's reconciler fails them as lost.)
  const [live, ...recent] = (
    await db.query(
      `SELECT t.id, t."buildId", t.platform FROM "Task" t JOIN "Build" b ON b.id = t."buildId"
        WHERE b.status IN ('succeeded', 'failed') ORDER BY b."createdAt" DESC, t.platform LIMIT $1`,
      [recentTasks + 1],
    )
  ).rows as { id: string; buildId: string; platform: string }[];
  const objectLines = total - big - recentTasks * perTask;
  const storedBuilds = Math.max(1, Math.floor((objectLines - 2 * big) / (2 * perTask)));
  // Older finished builds, evenly spread over the seeded months; the newest of them carries the big log.
  const stored = (
    await db.query(
      `SELECT id FROM (SELECT id, "createdAt", row_number() OVER (ORDER BY "createdAt" DESC) AS n
                         FROM "Build" WHERE status IN ('succeeded', 'failed') AND array_length(platforms, 1) = 2) x
        WHERE n > $1 AND n % greatest(1, ((SELECT count(*) FROM "Build" WHERE status IN ('succeeded', 'failed')) - $1) / $2)::int = 0
        ORDER BY "createdAt" DESC LIMIT $2`,
      [recentTasks, storedBuilds + 1],
    )
  ).rows.map((r) => r.id as string);
  const [bigBuild, ...rest] = stored;

  let redisLines = 0;
  const streams = [live!, ...recent].map((t, i) => ({ taskId: t.id, count: i === 0 ? big : perTask }));
  await pool(streams, PARALLEL, async (s) => {
    await writeStream(redis, prefix, s.taskId, s.count);
    redisLines += s.count;
  });

  let objectLinesWritten = 0;
  const files = [
    ...['linux/amd64', 'linux/arm64'].map((p) => ({ buildId: bigBuild!, platform: p, count: big })),
    ...rest.flatMap((id) => ['linux/amd64', 'linux/arm64'].map((p) => ({ buildId: id, platform: p, count: perTask }))),
  ];
  // The remainder goes into the last file, so that the total is exact.
  files.at(-1)!.count += objectLines - files.reduce((n, f) => n + f.count, 0);
  await pool(files, PARALLEL, async (f) => {
    await store.put(objectKeys.log(f.buildId, parsePlatform(f.platform)), logFile(f.count));
    objectLinesWritten += f.count;
  });
  (store as { destroy?: () => void }).destroy?.();
  return {
    lines: redisLines + objectLinesWritten,
    redisLines,
    objectLines: objectLinesWritten,
    bigFinished: { buildId: bigBuild! },
    bigLive: { buildId: live!.buildId, platform: live!.platform },
    recent: recent.map((t) => ({ buildId: t.buildId, platform: t.platform })),
    stored: rest.reverse(),
  };
}
