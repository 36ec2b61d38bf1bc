import { createHash } from 'node:crypto';
import { Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BuildJob, buildQueueName, objectKeys, PUBLISH_QUEUE, parsePlatform, type BuildResult } from '@archway/contract';
import { nowIso, publishEvent } from '@archway/runtime';
import { createTestDatabase } from '../../../test/support/db.ts';
import { testRedis } from '../../../test/support/redis.ts';
import { redisMonitor } from '../../../test/support/redis-monitor.ts';
import { apiFixture, makeGitRepo, waitFor, type ApiFixture } from './testing/fixture.ts';
import { loggingPrisma, type LoggedQuery } from './testing/query-log.ts';
import { createPrisma, type PrismaClient } from './infra/db.ts';

// The round trips one two-platform build costs, from POST /api/v1/builds to published: every SQL
// statement the API sends (Prisma's query events) and every Redis command under the build's prefix
// (MONITOR on a connection of its own), with the agents and the merger played by BullMQ workers
// that answer at once (as a `push: false` build needs nothing else). Printed, and bounded, so a
// change that adds queries per build shows up here.
const PLATFORMS = ['linux/amd64', 'linux/arm64'];
// Measured: 24 statements, ≈ 270 commands (BullMQ's own polling of idle workers included, which
// grows with the wall time a loaded machine takes; hence the margin).
const MAX_QUERIES = 30;
const MAX_REDIS = 450;

let f: ApiFixture;
let queries: LoggedQuery[];
/** The test's own reads, on a client whose statements are not counted. */
let look: PrismaClient;
let monitor: { close(): void };
const commands: string[][] = [];
const workers: Worker[] = [];
let repo: { url: string; commit: string };

const sha = (s: string) => `sha256:${createHash('sha256').update(s).digest('hex')}`;

beforeAll(async () => {
  const url = await createTestDatabase();
  const logged = loggingPrisma(url);
  queries = logged.queries;
  look = createPrisma(url);
  f = await apiFixture({ prisma: logged.prisma, allowLocalSources: true });
  repo = await makeGitRepo(f.tmp);
  const events = testRedis({ worker: true });
  for (const platform of PLATFORMS) {
    const worker = new Worker(
      buildQueueName(parsePlatform(platform)),
      async (job): Promise<BuildResult> => {
        const data = BuildJob.parse(job.data);
        const base = { buildId: data.buildId, taskId: data.taskId, attempt: job.attemptsMade + 1 };
        await publishEvent(events, f.prefix, { type: 'task.started', ...base, at: nowIso(), agent: `stand-in-${platform}` });
        const result = {
          taskId: data.taskId,
          platform: data.platform,
          archiveKey: objectKeys.archive(data.buildId, data.platform),
          archiveSize: 1024,
          archiveDigest: sha(`a ${data.taskId}`),
          manifestDigest: sha(`m ${data.taskId}`),
        };
        await publishEvent(events, f.prefix, { type: 'task.built', ...base, at: nowIso(), result });
        return result;
      },
      { connection: testRedis({ worker: true }), prefix: f.prefix },
    );
    workers.push(worker);
  }
  // The merger of a `push: false` build: publishing, then succeeded (nothing to push).
  workers.push(
    new Worker(
      PUBLISH_QUEUE,
      async (job) => {
        const buildId = (job.data as { buildId: string }).buildId;
        await publishEvent(events, f.prefix, { type: 'build.publishing', buildId, at: nowIso() });
        await publishEvent(events, f.prefix, { type: 'build.succeeded', buildId, indexDigest: null, at: nowIso() });
      },
      { connection: testRedis({ worker: true }), prefix: f.prefix },
    ),
  );
  await Promise.all(workers.map((w) => w.waitUntilReady()));
  monitor = await redisMonitor((args) => {
    if (args.some((a) => a.includes(`${f.prefix}:`))) commands.push(args);
  });
});
afterAll(async () => {
  await Promise.all(workers.map((w) => w.close()));
  monitor?.close();
  await look?.$disconnect();
  await f?.close();
});

function tally(names: string[]): string {
  const counts = new Map<string, number>();
  for (const n of names) counts.set(n, (counts.get(n) ?? 0) + 1);
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .map(([n, c]) => `  ${String(c).padStart(3)} × ${n}`)
    .join('\n');
}

/** A statement's shape: the verb and the tables it reads or writes (Prisma's or plain SQL), without values. */
const shape = (sql: string) =>
  `${sql.trim().split(/\s+/)[0]} ${[...new Set([...sql.matchAll(/(?:FROM|INTO|UPDATE|JOIN)\s+(?:"public"\.)?"(\w+)"/gi)].map((m) => m[1]))].join(',')}`;

describe('round trips of one two-platform build', () => {
  it('create → published costs a bounded number of Postgres queries and Redis commands', async () => {
    // One build first, unmeasured: queues, consumer groups and the JIT are set up once per process.
    const payload = { source: { url: repo.url, ref: 'main' }, platforms: PLATFORMS, push: false };
    const warm = await f.app.inject({ method: 'POST', url: '/api/v1/builds', headers: f.auth, payload });
    await waitFor(async () => (await look.build.findUnique({ where: { id: warm.json().id } }))?.status === 'succeeded', 'the warm-up build', 30_000);

    const q0 = queries.length;
    const r0 = commands.length;
    const res = await f.app.inject({ method: 'POST', url: '/api/v1/builds', headers: f.auth, payload });
    expect(res.statusCode, res.body).toBe(202);
    const id = res.json().id as string;
    const answerQueries = queries.length - q0;
    await waitFor(
      async () => {
        const b = await look.build.findUnique({ where: { id }, include: { tasks: true } });
        return b?.status === 'succeeded' && b.tasks.every((t) => t.status === 'built') ? b : undefined;
      },
      'the build published',
      30_000,
    );
    const own = queries.slice(q0);
    const redis = commands.slice(r0);
    console.log(
      `one two-platform build, POST → published: ${own.length} Postgres statements (${answerQueries} before the answer), ${redis.length} Redis commands\n` +
        `Postgres:\n${tally(own.map((q) => shape(q.sql)))}\nRedis:\n${tally(redis.map((c) => c[0]!.toUpperCase()))}`,
    );
    expect(answerQueries).toBeLessThanOrEqual(4); // the token, its last use, the INSERT
    expect(own.length).toBeLessThanOrEqual(MAX_QUERIES);
    expect(redis.length).toBeLessThanOrEqual(MAX_REDIS);
  });
});
