import type {} from '../../../test/global-setup.ts';
import { randomUUID } from 'node:crypto';
import { BuildEvent, PUBLISH_QUEUE, type PublishJob } from '@archway/contract';
import { redisKeys } from '@archway/contract';
import { FsObjectStore } from '@archway/runtime';
import { Queue, Worker } from 'bullmq';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { testPrefix, testRedis } from '../../../test/support/redis.ts';
import { waitFor } from '../../../test/support/wait.ts';
import { startMerger, type MergerHandle } from './worker.ts';
import { AMD64 } from './test-support/platforms.ts';

describe('a publish whose merger keeps dying', () => {
  const prefix = testPrefix();
  const redis = testRedis();
  const closers: Array<() => Promise<unknown>> = [];
  afterAll(async () => {
    for (const close of closers.reverse()) await close();
    redis.disconnect();
  });

  // A merger that takes the job and dies (no more lock renewals), as after SIGKILL or OOM.
  const quickStalls = { lockDuration: 400, stalledInterval: 100, maxStalledCount: 1 };
  async function dieDuringPublish(): Promise<void> {
    let started!: () => void;
    const taken = new Promise<void>((r) => (started = r));
    const hang = () => {
      started();
      return new Promise(() => {});
    };
    const dying = new Worker(PUBLISH_QUEUE, hang, { connection: testRedis({ worker: true }), prefix, ...quickStalls });
    await taken;
    await dying.close(true);
  }

  it('fails the build with a reason once BullMQ gives up on it, instead of leaving it publishing', async () => {
    const queue = new Queue(PUBLISH_QUEUE, { connection: testRedis({ worker: true }), prefix });
    closers.push(() => queue.close());
    const buildId = randomUUID();
    const data: PublishJob = { buildId, image: '127.0.0.1:1/never/pushed', tags: ['latest'], push: true, platforms: [AMD64] };
    await queue.add('publish', data, { jobId: buildId, attempts: 3 });

    // Only the stalled-job check runs here, the way any merger's worker runs it.
    const checker = new Worker(PUBLISH_QUEUE, null, { connection: testRedis({ worker: true }), prefix, autorun: false, ...quickStalls });
    closers.push(() => checker.close());
    void checker.startStalledCheckTimer();
    await dieDuringPublish();
    await dieDuringPublish();
    const failedForGood = await waitFor(async () => (await queue.getJob(buildId))?.deferredFailure, 'BullMQ to mark the job as stalled too often');
    expect(failedForGood).toMatch(/stalled more than allowable limit/);

    const merger: MergerHandle = await startMerger(
      {
        redisUrl: inject('redisUrl'),
        prefix,
        objectStore: 'unused',
        registry: { authFile: null, insecureRegistries: [] },
        concurrency: 1,
        platformConcurrency: 1,
        earlyPushes: 0,
        blobConcurrency: 1,
      },
      { log: () => {}, store: new FsObjectStore(inject('tmpRoot')) },
    );
    closers.push(() => merger.close());
    const failed = await waitFor(async () => {
      const entries = await redis.xrange(redisKeys(prefix).events, '-', '+');
      return entries.map(([, f]) => BuildEvent.parse(JSON.parse(f[1]!))).find((e) => e.buildId === buildId && e.type === 'build.failed');
    }, 'build.failed for the stalled publish');
    expect(failed).toMatchObject({
      type: 'build.failed',
      reason: "the publish stopped 2 times without finishing (the merger was killed, ran out of memory or lost its Redis connection); see the merger's log",
    });
    expect(await (await queue.getJob(buildId))?.getState()).toBe('failed');
  });
});
