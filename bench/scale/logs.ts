// bench/scale part E: 1,000,000 log lines in retention (logs-seed.ts) on top of part D's 100,000
// builds: the list and a build page, a big log's full body (object store and live Redis stream),
// the SSE log stream's first event, and one retention sweep (run by the API's own maintenance
// worker) with the API probed meanwhile.
import { Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import type pg from 'pg';
import type { Stack } from '../../test/harness/stack.ts';
import { fmt, hammer, p, type Timed } from './hooks.ts';
import { seedLogs } from './logs-seed.ts';

/** ARCHWAY_RETAIN_LOGS of the stack (part E): logs older than this are due in the sweep. */
export const BENCH_RETAIN_LOGS = '30d';

interface Part {
  db: pg.Client;
  redisUrl: string;
  prefix: string;
  stack: Stack;
  add: (...cells: string[]) => void;
  log: (msg: string) => void;
  line: (t: Timed) => string;
}

/** Time to the first `line` event of a log's Server-Sent Events stream, then the stream is closed. */
async function firstEvent(stack: Stack, path: string): Promise<number> {
  const ac = new AbortController();
  const start = performance.now();
  const res = await fetch(`${stack.url}${path}`, { headers: { authorization: `Bearer ${stack.token}` }, signal: ac.signal });
  if (res.status !== 200 || !res.body) throw new Error(`${path}: ${res.status}`);
  const reader = res.body.getReader();
  let text = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`${path}: stream ended before a line`);
      text += Buffer.from(value).toString('utf8');
      if (text.includes('event: line')) return performance.now() - start;
    }
  } finally {
    ac.abort();
  }
}

async function timedSeries(n: number, fn: () => Promise<number>): Promise<Timed> {
  const ms: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < n; i++) ms.push(await fn());
  return { ms, failures: new Map(), wallMs: performance.now() - t0 };
}

export async function logsPart({ db, redisUrl, prefix, stack, add, log, line }: Part): Promise<void> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
  try {
    const t0 = Date.now();
    const rssBefore = process.memoryUsage().rss;
    const seed = await seedLogs({ db, redis, prefix, objectStore: `file://${stack.objectStoreDir}` });
    const seedMs = Date.now() - t0;
    const rssGrowth = (process.memoryUsage().rss - rssBefore) / 1024 / 1024;
    log(
      `seeded ${seed.lines} log lines in ${(seedMs / 1000).toFixed(1)} s (Redis ${seed.redisLines}, object store ${seed.objectLines}); bench RSS +${rssGrowth.toFixed(0)} MiB`,
    );
    add(
      '1,000,000 log lines: seeding',
      `${(seedMs / 1000).toFixed(1)} s, this process's RSS +${rssGrowth.toFixed(0)} MiB`,
      `Redis streams ${seed.redisLines} lines (${seed.recent.length + 1} newest tasks), object store ${seed.objectLines} lines (${seed.stored.length + 1} builds)`,
    );

    const ids = (await db.query(`SELECT id FROM "Build" ORDER BY random() LIMIT 500`)).rows.map((r) => r.id as string);
    const list = await hammer(
      500,
      4,
      () => stack.api('/api/v1/builds?limit=50'),
      (s) => s === 200,
    );
    add('with logs: GET /builds?limit=50', line(list), `**p99 ${fmt(p(list.ms, 99))}** (target < 50 ms), 4 clients`);
    const withLogs = [seed.bigFinished.buildId, seed.bigLive.buildId, ...seed.recent.map((r) => r.buildId), ...seed.stored];
    const page = await hammer(
      500,
      4,
      (i) => stack.api(`/api/v1/builds/${i % 2 ? ids[i % ids.length] : withLogs[i % withLogs.length]}`),
      (s) => s === 200,
    );
    add('with logs: GET /builds/:id (half with logs)', line(page), `**p99 ${fmt(p(page.ms, 99))}** (target < 50 ms), 4 clients`);
    log(`list ${line(list)}; page ${line(page)}`);

    const bigStored = await hammer(
      40,
      2,
      () => stack.api(`/api/v1/builds/${seed.bigFinished.buildId}/logs?platform=linux/amd64`),
      (s) => s === 200,
    );
    add('GET /builds/:id/logs, 10,000 lines, finished (object store)', line(bigStored), 'time to the full body, 2 clients');
    const bigLive = await hammer(
      40,
      2,
      () => stack.api(`/api/v1/builds/${seed.bigLive.buildId}/logs?platform=${seed.bigLive.platform}`),
      (s) => s === 200,
    );
    add('GET /builds/:id/logs, 10,000 lines, live log (Redis stream)', line(bigLive), 'time to the full body, 2 clients');
    const sse = await timedSeries(40, () => firstEvent(stack, `/api/v1/builds/${seed.bigLive.buildId}/logs/stream?platform=${seed.bigLive.platform}`));
    add('SSE /logs/stream: time to the first line (10,000-line live log)', line(sse), 'one client at a time');
    log(`logs: stored ${line(bigStored)}; live ${line(bigLive)}; sse ${line(sse)}`);

    // One sweep by the API's own retention worker, the list probed by 2 clients meanwhile. As in
    // an installation where it runs regularly, builds past the horizons were swept before, except
    // the last day's (a day of backlog: the API was down, or ARCHWAY_RETENTION_INTERVAL is 1d) and
    // those whose logs are still stored.
    await db.query(
      `UPDATE "Build" SET "archivesDeletedAt" = "finishedAt" + interval '30 days', "logsDeletedAt" = "finishedAt" + interval '30 days'
        WHERE "finishedAt" < now() - interval '31 days' AND status IN ('succeeded', 'failed', 'canceled') AND id <> ALL($1::uuid[])`,
      [[seed.bigFinished.buildId, ...seed.stored]],
    );
    const due = (
      await db.query(
        `SELECT count(*)::int AS n FROM "Build" WHERE status IN ('succeeded', 'failed', 'canceled')
           AND ("archivesDeletedAt" IS NULL AND "finishedAt" <= now() - interval '30 days' OR "logsDeletedAt" IS NULL AND "finishedAt" <= now() - interval '${BENCH_RETAIN_LOGS.replace('d', ' days')}')`,
      )
    ).rows[0].n as number;
    const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
    const blocking = connection.duplicate();
    const queue = new Queue('maintenance', { connection, prefix });
    const events = new QueueEvents('maintenance', { connection: blocking, prefix });
    await events.waitUntilReady();
    const probe: Timed = { ms: [], failures: new Map(), wallMs: 0 };
    let sweeping = true;
    const probing = Promise.all(
      [0, 1].map(async () => {
        while (sweeping) {
          const start = performance.now();
          const res = await stack.api('/api/v1/builds?limit=50').catch(() => undefined);
          await res?.arrayBuffer();
          if (res?.status === 200) probe.ms.push(performance.now() - start);
          else probe.failures.set(String(res?.status ?? 'error'), (probe.failures.get(String(res?.status ?? 'error')) ?? 0) + 1);
        }
      }),
    );
    const sweepStart = performance.now();
    const job = await queue.add('retention', {}, { attempts: 1 });
    const counts = (await job.waitUntilFinished(events, 900_000)) as Record<string, number>;
    const sweepMs = performance.now() - sweepStart;
    sweeping = false;
    await probing;
    probe.wallMs = sweepMs;
    await Promise.allSettled([events.close(), queue.close()]);
    connection.disconnect();
    blocking.disconnect();
    log(`sweep ${(sweepMs / 1000).toFixed(1)} s: ${JSON.stringify(counts)}; API meanwhile ${line(probe)}`);
    add(
      'one retention sweep (the API’s maintenance worker)',
      `${(sweepMs / 1000).toFixed(1)} s for ${due} due builds: ${counts.builds} expired, ${counts.logs} logs, ${counts.failed} failed`,
      `logs kept ${BENCH_RETAIN_LOGS}; builds older than that already swept but the last day's and those with stored logs`,
    );
    add('during the sweep: GET /builds?limit=50', line(probe), `**p99 ${fmt(p(probe.ms, 99))}** vs ${fmt(p(list.ms, 99))} before (2 clients)`);
  } finally {
    redis.disconnect();
  }
}
