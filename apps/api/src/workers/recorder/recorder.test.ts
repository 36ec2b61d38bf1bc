import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { Redis } from 'ioredis';
import { parsePlatform, type BuildEvent } from '@archway/contract';
import { redisKeys } from '@archway/contract';
import { publishEvent } from '@archway/runtime';
import { createTestDatabase } from '../../../../../test/support/db.ts';
import { testPrefix } from '../../../../../test/support/redis.ts';
import { createPrisma, type PrismaClient } from '../../infra/db.ts';
import { waitFor } from '../../testing/fixture.ts';
import { RECORDER_GROUP, startRecorder, type Recorder } from './recorder.ts';

let prisma: PrismaClient;
let redis: Redis;

beforeAll(async () => {
  prisma = createPrisma(await createTestDatabase());
  redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: 3 });
});
afterAll(async () => {
  redis?.disconnect();
  await prisma?.$disconnect();
});

async function newBuild(platforms = ['linux/amd64', 'linux/arm64']) {
  const build = await prisma.build.create({
    data: {
      sourceUrl: 'file:///repo',
      ref: 'main',
      commit: 'a'.repeat(40),
      platforms,
      tags: ['1'],
      image: 'r.example/x',
      tasks: { create: platforms.map((platform) => ({ platform })) },
    },
    include: { tasks: true },
  });
  const task = (p: string) => build.tasks.find((t) => t.platform === p)!.id;
  return { id: build.id, task };
}

/** The group has read everything and acknowledged it. */
async function caughtUp(prefix: string): Promise<boolean> {
  const groups = (await redis.xinfo('GROUPS', redisKeys(prefix).events)) as unknown[][];
  const g = groups.map((row) => Object.fromEntries(Array.from({ length: row.length / 2 }, (_, i) => [row[2 * i], row[2 * i + 1]])));
  const mine = g.find((x) => x.name === RECORDER_GROUP);
  return Boolean(mine && mine.pending === 0 && mine.lag === 0);
}

const at = (s: number) => new Date(Date.UTC(2030, 0, 1, 0, 0, s)).toISOString();
const result = (taskId: string, platform: string) => ({
  taskId,
  platform: parsePlatform(platform),
  archiveKey: `archives/x/${platform.replace('/', '-')}.tar`,
  archiveSize: 12345,
  archiveDigest: `sha256:${'1'.repeat(64)}`,
  manifestDigest: `sha256:${'2'.repeat(64)}`,
});

describe('recorder', () => {
  it('applies a realistic sequence with retries, duplicates and late events to the right final state', async () => {
    const prefix = testPrefix();
    const b = await newBuild();
    const amd = b.task('linux/amd64');
    const arm = b.task('linux/arm64');
    const changed: string[] = [];
    const sub = new Redis(inject('redisUrl'));
    await sub.subscribe(redisKeys(prefix).buildChanged);
    sub.on('message', (_c, id) => changed.push(id));

    let recorder: Recorder = startRecorder({ prisma, redis, prefix, blockMs: 200 });
    const send = async (events: BuildEvent[]) => {
      for (const e of events) await publishEvent(redis, prefix, e);
    };
    try {
      await send([
        { type: 'task.started', buildId: b.id, at: at(1), taskId: amd, agent: 'amd-1', attempt: 1 },
        { type: 'phase.started', buildId: b.id, at: at(1), taskId: amd, attempt: 1, name: 'clone', kind: 'clone' },
        { type: 'phase.ended', buildId: b.id, at: at(3), taskId: amd, attempt: 1, name: 'clone' },
        { type: 'task.failed', buildId: b.id, at: at(4), taskId: amd, attempt: 1, reason: 'agent lost Redis', final: false },
        { type: 'task.started', buildId: b.id, at: at(10), taskId: arm, agent: 'arm-1', attempt: 1 },
        { type: 'task.started', buildId: b.id, at: at(11), taskId: amd, agent: 'amd-2', attempt: 2 },
        // A late duplicate of attempt 1 must not wind the task back.
        { type: 'task.started', buildId: b.id, at: at(1), taskId: amd, agent: 'amd-1', attempt: 1 },
        { type: 'phase.started', buildId: b.id, at: at(11), taskId: amd, attempt: 2, name: 'clone', kind: 'clone' },
        { type: 'phase.ended', buildId: b.id, at: at(12), taskId: amd, attempt: 2, name: 'clone' },
        { type: 'phase.started', buildId: b.id, at: at(12), taskId: amd, attempt: 2, name: 'STEP 1/2: FROM scratch', kind: 'step', step: 1 },
        { type: 'phase.ended', buildId: b.id, at: at(15), taskId: amd, attempt: 2, name: 'STEP 1/2: FROM scratch', cached: true },
        { type: 'phase.ended', buildId: b.id, at: at(19), taskId: amd, attempt: 2, name: 'STEP 1/2: FROM scratch', cached: false },
      ]);
      await waitFor(() => caughtUp(prefix), 'first events applied');
      let amdRow = await prisma.task.findUniqueOrThrow({ where: { id: amd } });
      expect(amdRow).toMatchObject({ status: 'running', attempts: 2, agent: 'amd-2', error: 'attempt 1 failed: agent lost Redis (retrying)' });
      expect(amdRow.startedAt?.toISOString()).toBe(at(1));

      // A restart in the middle: the group remembers where it was.
      await recorder.close();
      await send([
        { type: 'task.built', buildId: b.id, at: at(30), taskId: amd, attempt: 2, result: result(amd, 'linux/amd64') },
        { type: 'task.built', buildId: b.id, at: at(31), taskId: arm, attempt: 1, result: result(arm, 'linux/arm64') },
        { type: 'task.built', buildId: b.id, at: at(31), taskId: arm, attempt: 1, result: result(arm, 'linux/arm64') },
        { type: 'build.publishing', buildId: b.id, at: at(32) },
        { type: 'phase.started', buildId: b.id, at: at(32), taskId: null, attempt: 1, name: 'merge', kind: 'merge' },
        { type: 'phase.started', buildId: b.id, at: at(32), taskId: null, attempt: 1, name: 'merge', kind: 'merge' },
        { type: 'phase.ended', buildId: b.id, at: at(40), taskId: null, attempt: 1, name: 'merge' },
        { type: 'build.succeeded', buildId: b.id, at: at(41), indexDigest: `sha256:${'3'.repeat(64)}` },
        // Out of order and duplicated finals after success change nothing.
        { type: 'task.failed', buildId: b.id, at: at(42), taskId: arm, attempt: 1, reason: 'late', final: true },
        { type: 'build.failed', buildId: b.id, at: at(43), reason: 'late' },
        { type: 'build.publishing', buildId: b.id, at: at(44) },
        { type: 'task.canceled', buildId: b.id, at: at(45), taskId: amd, attempt: 2 },
      ]);
      recorder = startRecorder({ prisma, redis, prefix, blockMs: 200 });
      await waitFor(() => caughtUp(prefix), 'all events applied');

      const build = await prisma.build.findUniqueOrThrow({ where: { id: b.id }, include: { tasks: true, phases: true } });
      expect(build).toMatchObject({ status: 'succeeded', indexDigest: `sha256:${'3'.repeat(64)}`, error: null });
      expect(build.startedAt?.toISOString()).toBe(at(1));
      expect(build.finishedAt?.toISOString()).toBe(at(41));
      amdRow = build.tasks.find((t) => t.id === amd)!;
      expect(amdRow).toMatchObject({
        status: 'built',
        attempts: 2,
        error: null,
        manifestDigest: `sha256:${'2'.repeat(64)}`,
        archiveKey: 'archives/x/linux-amd64.tar',
        archiveDigest: `sha256:${'1'.repeat(64)}`,
      });
      expect(amdRow.archiveSize).toBe(12345n);
      expect(amdRow.finishedAt?.toISOString()).toBe(at(30));
      expect(build.tasks.find((t) => t.id === arm)).toMatchObject({ status: 'built', attempts: 1, agent: 'arm-1', error: null });

      const phases = build.phases.map((p) => [p.taskId === amd ? 'amd' : p.taskId === null ? 'build' : 'arm', p.attempt, p.name, p.durationMs, p.cached]);
      expect(phases.sort()).toEqual(
        [
          ['amd', 1, 'clone', 2000, null],
          ['amd', 2, 'clone', 1000, null],
          ['amd', 2, 'STEP 1/2: FROM scratch', 3000, true],
          ['build', 1, 'merge', 8000, null],
        ].sort(),
      );
      await waitFor(async () => changed.length > 0, 'a buildChanged notification');
      expect(new Set(changed)).toEqual(new Set([b.id]));
    } finally {
      await recorder.close();
      sub.disconnect();
    }
  });

  it('fails the build naming the platform, and keeps the first reason when more fail', async () => {
    const prefix = testPrefix();
    const b = await newBuild();
    const recorder = startRecorder({ prisma, redis, prefix, blockMs: 200 });
    try {
      for (const e of [
        { type: 'task.started', buildId: b.id, at: at(1), taskId: b.task('linux/arm64'), agent: 'pi', attempt: 1 },
        {
          type: 'task.failed',
          buildId: b.id,
          at: at(5),
          taskId: b.task('linux/arm64'),
          attempt: 1,
          final: true,
          reason: 'step 2 (RUN make) exited with 2',
          step: 'STEP 2/3: RUN make',
          exitCode: 2,
        },
        { type: 'task.failed', buildId: b.id, at: at(6), taskId: b.task('linux/amd64'), attempt: 1, final: true, reason: 'disk full' },
        { type: 'build.succeeded', buildId: b.id, at: at(7), indexDigest: null },
        { type: 'task.started', buildId: b.id, at: at(8), taskId: b.task('linux/arm64'), agent: 'pi', attempt: 2 },
      ] as BuildEvent[]) {
        await publishEvent(redis, prefix, e);
      }
      await waitFor(() => caughtUp(prefix), 'events applied');
      const build = await prisma.build.findUniqueOrThrow({ where: { id: b.id }, include: { tasks: true } });
      expect(build).toMatchObject({ status: 'failed', error: 'linux/arm64: step 2 (RUN make) exited with 2' });
      expect(build.finishedAt?.toISOString()).toBe(at(5));
      expect(build.tasks.find((t) => t.platform === 'linux/arm64')).toMatchObject({
        status: 'failed',
        failedStep: 'STEP 2/3: RUN make',
        exitCode: 2,
        attempts: 1,
        error: 'step 2 (RUN make) exited with 2',
      });
      expect(build.tasks.find((t) => t.platform === 'linux/amd64')).toMatchObject({ status: 'failed', error: 'disk full' });
    } finally {
      await recorder.close();
    }
  });

  it('stores a multi-KB failure reason as its first lines and a pointer to the log, on task, build and attempt', async () => {
    const prefix = testPrefix();
    const b = await newBuild(['linux/amd64']);
    const taskId = b.task('linux/amd64');
    const dump = ['linux/amd64: step 3/4 "RUN make" failed with exit code 2', ...Array.from({ length: 300 }, (_, i) => `buildah: output line ${i}`)].join('\n');
    const recorder = startRecorder({ prisma, redis, prefix, blockMs: 200 });
    try {
      await publishEvent(redis, prefix, { type: 'task.started', buildId: b.id, at: at(1), taskId, agent: 'x86', attempt: 1 });
      await publishEvent(redis, prefix, { type: 'task.failed', buildId: b.id, at: at(2), taskId, attempt: 1, final: true, reason: dump });
      await waitFor(() => caughtUp(prefix), 'events applied');
      const build = await prisma.build.findUniqueOrThrow({ where: { id: b.id }, include: { tasks: { include: { history: true } } } });
      const task = build.tasks[0]!;
      const pointer = `full log: GET /api/v1/builds/${b.id}/logs?platform=linux/amd64)`;
      for (const stored of [build.error!, task.error!, task.history[0]!.reason!]) {
        expect(stored.length).toBeLessThanOrEqual(1000);
        expect(stored.startsWith('linux/amd64: step 3/4 "RUN make" failed with exit code 2\nbuildah: output line 0\n')).toBe(true);
        expect(stored.endsWith(pointer)).toBe(true);
        // Cut at a line boundary: the last kept line is a whole line of the dump.
        const lastKept = stored.split('\n…')[0]!.split('\n').at(-1)!;
        expect(dump.split('\n')).toContain(lastKept);
      }
      expect(build.status).toBe('failed');
    } finally {
      await recorder.close();
    }
  });

  it('ignores task.built of an attempt that a later attempt took over', async () => {
    const prefix = testPrefix();
    const b = await newBuild(['linux/amd64']);
    const amd = b.task('linux/amd64');
    const recorder = startRecorder({ prisma, redis, prefix, blockMs: 200 });
    const stale = { ...result(amd, 'linux/amd64'), archiveKey: 'archives/stale.tar', manifestDigest: `sha256:${'3'.repeat(64)}` };
    try {
      for (const e of [
        { type: 'task.started', buildId: b.id, at: at(1), taskId: amd, agent: 'x86-1', attempt: 1 },
        { type: 'task.started', buildId: b.id, at: at(5), taskId: amd, agent: 'x86-2', attempt: 2 },
        { type: 'task.built', buildId: b.id, at: at(6), taskId: amd, attempt: 1, result: stale },
      ] as BuildEvent[]) {
        await publishEvent(redis, prefix, e);
      }
      await waitFor(() => caughtUp(prefix), 'events applied');
      expect(await prisma.task.findUniqueOrThrow({ where: { id: amd } })).toMatchObject({ status: 'running', attempts: 2, manifestDigest: null });

      await publishEvent(redis, prefix, { type: 'task.built', buildId: b.id, at: at(9), taskId: amd, attempt: 2, result: result(amd, 'linux/amd64') });
      await waitFor(() => caughtUp(prefix), 'events applied');
      expect(await prisma.task.findUniqueOrThrow({ where: { id: amd } })).toMatchObject({
        status: 'built',
        attempts: 2,
        manifestDigest: `sha256:${'2'.repeat(64)}`,
      });
    } finally {
      await recorder.close();
    }
  });

  it('runs afterApply for every event, changed or not, and keeps an event pending until it succeeds', async () => {
    const prefix = testPrefix();
    const b = await newBuild(['linux/amd64']);
    const seen: string[] = [];
    let failOnce = true;
    const recorder = startRecorder({
      prisma,
      redis,
      prefix,
      blockMs: 200,
      afterApply: async (e) => {
        seen.push(e.type);
        // As when Redis refuses the status job: the event must come back.
        if (e.type === 'build.failed' && failOnce) {
          failOnce = false;
          throw new Error('Redis refused');
        }
      },
    });
    try {
      const failed = { type: 'build.failed', buildId: b.id, at: at(3), reason: 'boom' } as BuildEvent;
      await publishEvent(redis, prefix, failed);
      // The same event again, as after an API crash between Postgres and the acknowledgement: it changes nothing.
      await publishEvent(redis, prefix, failed);
      await waitFor(() => caughtUp(prefix), 'events applied and acknowledged', 15_000);
      expect(seen).toEqual(['build.failed', 'build.failed', 'build.failed']);
      expect(await prisma.build.findUniqueOrThrow({ where: { id: b.id } })).toMatchObject({ status: 'failed', error: 'boom' });
    } finally {
      await recorder.close();
    }
  });

  it('takes over events a dead consumer left pending, and skips events it cannot parse', async () => {
    const prefix = testPrefix();
    const keys = redisKeys(prefix);
    const b = await newBuild(['linux/amd64']);
    await redis.xgroup('CREATE', keys.events, RECORDER_GROUP, '0', 'MKSTREAM');
    await redis.xadd(keys.events, '*', 'e', '{not json');
    await redis.xadd(keys.events, '*', 'e', JSON.stringify({ type: 'task.exploded', buildId: b.id }));
    await publishEvent(redis, prefix, { type: 'task.started', buildId: b.id, at: at(1), taskId: b.task('linux/amd64'), agent: 'a', attempt: 1 });
    await publishEvent(redis, prefix, { type: 'build.failed', buildId: b.id, at: at(2), reason: 'merger: registry refused the index' });
    // A consumer reads them and dies before acknowledging.
    const read = (await redis.xreadgroup('GROUP', RECORDER_GROUP, 'dead-consumer', 'COUNT', 10, 'STREAMS', keys.events, '>')) as [string, unknown[]][];
    expect(read[0]![1]).toHaveLength(4);

    const recorder = startRecorder({ prisma, redis, prefix, blockMs: 200, claimIdleMs: 0 });
    try {
      await waitFor(() => caughtUp(prefix), 'pending events taken over');
      expect(await prisma.build.findUniqueOrThrow({ where: { id: b.id } })).toMatchObject({ status: 'failed', error: 'merger: registry refused the index' });
      // Events of a build that does not exist (deleted) are acknowledged, not retried forever.
      await publishEvent(redis, prefix, {
        type: 'phase.started',
        buildId: '00000000-0000-4000-8000-000000000000',
        at: at(3),
        taskId: null,
        attempt: 1,
        name: 'merge',
        kind: 'merge',
      });
      await waitFor(() => caughtUp(prefix), 'event of an unknown build acknowledged');
      // A time that is not a time is replaced by the time of arrival instead of stalling the stream.
      const b2 = await newBuild(['linux/arm64']);
      const before = Date.now();
      await publishEvent(redis, prefix, { type: 'task.started', buildId: b2.id, at: 'half past nine', taskId: b2.task('linux/arm64'), agent: 'a', attempt: 1 });
      await waitFor(() => caughtUp(prefix), 'event with a bad time applied');
      const started = await prisma.task.findUniqueOrThrow({ where: { id: b2.task('linux/arm64') } });
      expect(started.status).toBe('running');
      expect(started.startedAt!.getTime()).toBeGreaterThanOrEqual(before - 1000);
    } finally {
      await recorder.close();
    }
  });
});
