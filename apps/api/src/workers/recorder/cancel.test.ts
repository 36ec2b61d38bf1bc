import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BuildEvent } from '@archway/contract';
import { parsePlatform, redisKeys } from '@archway/contract';
import { publishEvent } from '@archway/runtime';
import { apiFixture, makeGitRepo, resolved, waitFor, type ApiFixture } from '../../testing/fixture.ts';
import { applyEvent } from './apply.ts';
import { RECORDER_GROUP, startRecorder } from './recorder.ts';

/** An API without a recorder of its own: these tests decide when events are applied. */
let f: ApiFixture;
let repoUrl: string;

beforeAll(async () => {
  f = await apiFixture({ cancelWaitMs: 300, allowLocalSources: true }, { recorder: false });
  repoUrl = (await makeGitRepo(f.tmp)).url;
});
afterAll(async () => f?.close());

async function newBuild(platforms = ['linux/amd64', 'linux/arm64']) {
  const res = await f.app.inject({ method: 'POST', url: '/api/v1/builds', headers: f.auth, payload: { source: { url: repoUrl }, push: false, platforms } });
  expect(res.statusCode, res.body).toBe(202);
  const id = res.json().id as string;
  const { tasks } = await resolved(f, id);
  return { id, task: (p: string) => tasks.find((t) => t.platform === p)!.id };
}

const state = (id: string) => f.prisma.build.findUniqueOrThrow({ where: { id }, include: { tasks: { orderBy: { platform: 'asc' } } } });

async function eventsOf(buildId: string): Promise<BuildEvent[]> {
  const entries = await f.redis.xrange(redisKeys(f.prefix).events, '-', '+');
  return entries.map(([, fields]) => JSON.parse(fields[1]!) as BuildEvent).filter((e) => e.buildId === buildId);
}

/** The recorder group has read and acknowledged every event. */
async function caughtUp(): Promise<boolean> {
  const groups = (await f.redis.xinfo('GROUPS', redisKeys(f.prefix).events)) as unknown[][];
  const g = groups.map((row) => Object.fromEntries(Array.from({ length: row.length / 2 }, (_, i) => [row[2 * i], row[2 * i + 1]])));
  const mine = g.find((x) => x.name === RECORDER_GROUP);
  return Boolean(mine && mine.pending === 0 && mine.lag === 0);
}

const built = (buildId: string, taskId: string, platform: string): BuildEvent => ({
  type: 'task.built',
  buildId,
  taskId,
  attempt: 1,
  at: new Date().toISOString(),
  result: {
    taskId,
    platform: parsePlatform(platform),
    archiveKey: `archives/${taskId}.tar`,
    archiveSize: 1,
    archiveDigest: `sha256:${'1'.repeat(64)}`,
    manifestDigest: `sha256:${'2'.repeat(64)}`,
  },
});
const cancelRequested = (buildId: string): BuildEvent => ({ type: 'build.cancel-requested', buildId, at: new Date().toISOString() });

/** Whatever the order, a canceled build has no open task, and a task is built only with its archive. */
function expectConsistent(build: Awaited<ReturnType<typeof state>>) {
  expect(build.status).toBe('canceled');
  expect(build.finishedAt).not.toBeNull();
  for (const t of build.tasks) {
    expect(['built', 'canceled']).toContain(t.status);
    expect(t.finishedAt).not.toBeNull();
    expect(t.archiveKey !== null).toBe(t.status === 'built');
  }
}

describe('cancel goes through the recorder', () => {
  it('the API only publishes the request; the recorder writes the state, once', async () => {
    const b = await newBuild();
    const res = await f.app.inject({ method: 'POST', url: `/api/v1/builds/${b.id}/cancel`, headers: f.auth });
    // No recorder ran within the wait: the API answers 202 and has written nothing itself.
    expect(res.statusCode, res.body).toBe(202);
    expect(res.json().status).toBe('queued');
    expect((await state(b.id)).status).toBe('queued');
    expect((await eventsOf(b.id)).map((e) => e.type)).toEqual(['build.cancel-requested']);
    // The agents were told anyway: the request stands and the recorder applies it when it catches up.
    expect(await f.redis.sismember(redisKeys(f.prefix).canceled, b.task('linux/amd64'))).toBe(1);

    const recorder = startRecorder({ prisma: f.prisma, redis: f.redis, prefix: f.prefix, blockMs: 200 });
    try {
      await waitFor(async () => (await state(b.id)).status === 'canceled', 'the recorder to apply the cancel', 15_000);
    } finally {
      await recorder.close();
    }
    const after = await state(b.id);
    expect(after.error).toBe('canceled');
    expect(after.tasks.map((t) => t.status)).toEqual(['canceled', 'canceled']);
    // A repeat changes nothing (the guard), not even the time.
    expect(await applyEvent(f.prisma, { ...cancelRequested(b.id), at: new Date(Date.now() + 60_000).toISOString() })).toBe(false);
    expect(await state(b.id)).toEqual(after);
    // And a second cancel is refused as before.
    const again = await f.app.inject({ method: 'POST', url: `/api/v1/builds/${b.id}/cancel`, headers: f.auth });
    expect(again.statusCode).toBe(409);
  });

  it('task.built before the cancel: that task stays built, the others are canceled', async () => {
    const b = await newBuild();
    const amd = b.task('linux/amd64');
    expect(await applyEvent(f.prisma, built(b.id, amd, 'linux/amd64'))).toBe(true);
    expect(await applyEvent(f.prisma, cancelRequested(b.id))).toBe(true);
    const s = await state(b.id);
    expectConsistent(s);
    expect(s.tasks.map((t) => t.status)).toEqual(['built', 'canceled']);
  });

  it('task.built after the cancel changes nothing', async () => {
    const b = await newBuild();
    expect(await applyEvent(f.prisma, cancelRequested(b.id))).toBe(true);
    const canceled = await state(b.id);
    // (The attempt's history still notes the late result; the task's state does not move.)
    await applyEvent(f.prisma, built(b.id, b.task('linux/amd64'), 'linux/amd64'));
    const s = await state(b.id);
    expect(s).toEqual(canceled);
    expectConsistent(s);
    expect(s.tasks.map((t) => t.status)).toEqual(['canceled', 'canceled']);
  });

  it('a cancel racing task.built (two recorders at once) leaves a consistent state', async () => {
    for (let i = 0; i < 5; i++) {
      const b = await newBuild();
      await Promise.all([applyEvent(f.prisma, cancelRequested(b.id)), applyEvent(f.prisma, built(b.id, b.task('linux/amd64'), 'linux/amd64'))]);
      const s = await state(b.id);
      expectConsistent(s);
      expect(s.tasks.find((t) => t.platform === 'linux/arm64')!.status).toBe('canceled');
    }
  });

  it('a cancel that loses the race with the build end answers 409 and changes nothing', async () => {
    const b = await newBuild(['linux/amd64']);
    // Finished after the API's check but before the recorder reached the cancel.
    await publishEvent(f.redis, f.prefix, { type: 'build.failed', buildId: b.id, at: new Date().toISOString(), reason: 'boom' });
    await publishEvent(f.redis, f.prefix, cancelRequested(b.id));
    const recorder = startRecorder({ prisma: f.prisma, redis: f.redis, prefix: f.prefix, blockMs: 200 });
    try {
      await waitFor(() => caughtUp(), 'the recorder to apply both events', 15_000);
    } finally {
      await recorder.close();
    }
    const s = await state(b.id);
    expect(s.error).toBe('boom');
    expect(s.tasks[0]!.status).toBe('queued');
    const res = await f.app.inject({ method: 'POST', url: `/api/v1/builds/${b.id}/cancel`, headers: f.auth });
    expect(res.statusCode).toBe(409);
    expect(res.json().message).toContain('is failed');
  });
});
