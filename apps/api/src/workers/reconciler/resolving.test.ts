import { Job, Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JOB_CATALOG, RESOLVE_QUEUE } from '@archway/contract';
import { testRedis } from '../../../../../test/support/redis.ts';
import { enqueueResolve } from '../../http/builds/index.ts';
import { makeGitRepo, resolved, type ApiFixture } from '../../testing/fixture.ts';
import { finalBuild, publishJob, reconcileFixture, sweep, waitFor } from './test-support.ts';

let f: ApiFixture;
let repo: { url: string; commit: string };

beforeAll(async () => {
  f = await reconcileFixture();
  repo = await makeGitRepo(f.tmp);
});
afterAll(async () => f?.close());

describe('reconciler: builds stuck in resolving', () => {
  it('queues the resolve job of a build accepted without one again, once, after the grace period; the resolver then queues it', async () => {
    // As acceptBuild writes it, but the API died before the resolve job reached Redis.
    const request = { source: { url: repo.url, ref: 'main' }, context: '.', platforms: ['linux/amd64'], tags: [], buildArgs: {}, push: false };
    const build = await f.prisma.build.create({
      data: { status: 'resolving', sourceUrl: repo.url, ref: 'main', platforms: ['linux/amd64'], tags: [], push: false, request },
    });
    expect((await sweep(f, { graceMs: 3_600_000 })).requeuedResolves).toBe(0); // the API may still be adding it
    expect(await f.queues.queue(RESOLVE_QUEUE).getJob(build.id)).toBeUndefined();

    expect((await sweep(f)).requeuedResolves).toBe(1);
    const done = await resolved(f, build.id);
    expect(done).toMatchObject({ status: 'queued', commit: repo.commit });
    expect(done.tasks.map((t) => t.platform)).toEqual(['linux/amd64']);
    expect(await publishJob(f, build.id)).toBeDefined();
    expect((await sweep(f)).requeuedResolves).toBe(0);
  });
});

describe('reconciler: a resolve job that failed for good', () => {
  // Its own fixture without the API's resolver: the worker below is a resolver that crashes on every
  // attempt (as when Postgres is unreachable each time), so BullMQ spends the job's real attempts
  // and backoff and leaves it failed; the resolver's own last-attempt handling never ran.
  let g: Awaited<ReturnType<typeof reconcileFixture>>;
  beforeAll(async () => {
    g = await reconcileFixture({ resolver: false });
  });
  afterAll(async () => g?.close());

  it('leaves a waiting, active or retrying job alone, then fails the build saying the resolver gave up', async () => {
    const request = { source: { url: repo.url, ref: 'main' }, context: '.', platforms: ['linux/amd64'], tags: [], buildArgs: {}, push: false };
    const build = await g.prisma.build.create({
      data: { status: 'resolving', sourceUrl: repo.url, ref: 'main', platforms: ['linux/amd64'], tags: [], push: false, request },
    });
    await enqueueResolve(g.queues, build.id);
    const queue = g.queues.queue(RESOLVE_QUEUE);
    const state = async () => (await Job.fromId(queue, build.id))?.getState();
    const leftAlone = async () => {
      const counts = await sweep(g);
      expect(counts).toMatchObject({ lostBuilds: 0, requeuedResolves: 0 });
      expect((await g.prisma.build.findUniqueOrThrow({ where: { id: build.id } })).status).toBe('resolving');
    };

    expect(await state()).toBe('waiting');
    await leftAlone();

    let release!: () => void;
    const held = new Promise<void>((r) => {
      release = r;
    });
    let attempts = 0;
    const connection = testRedis({ worker: true });
    const worker = new Worker(
      RESOLVE_QUEUE,
      async () => {
        if (++attempts === 1) await held; // the first attempt stays active until the sweep saw it
        throw new Error('resolver crashed: Postgres unreachable');
      },
      { connection, prefix: g.prefix },
    );
    try {
      await waitFor(async () => (await state()) === 'active' || undefined, 'the resolve job to be active', 10_000);
      await leftAlone();
      release();
      // Between attempts (BullMQ's backoff) the job is delayed: the resolver will try again.
      await waitFor(async () => (await state()) === 'delayed' || undefined, 'the resolve job to wait for its retry', 10_000);
      await leftAlone();
      await waitFor(async () => (await state()) === 'failed' || undefined, 'the resolve job to fail for good', 30_000);
    } finally {
      release();
      await worker.close();
      connection.disconnect();
    }
    expect(attempts).toBe(JOB_CATALOG.resolve.attempts);

    expect((await sweep(g)).lostBuilds).toBe(1);
    const failed = await finalBuild(g, build.id);
    expect(failed.status).toBe('failed');
    expect(failed.error).toBe(
      `its ref could not be resolved: the resolver gave up after ${JOB_CATALOG.resolve.attempts} attempts (resolver crashed: Postgres unreachable); rebuild it`,
    );
    // The job is gone, and the failed build is not picked up again.
    expect(await Job.fromId(queue, build.id)).toBeUndefined();
    expect((await sweep(g)).lostBuilds).toBe(0);
  });
});
