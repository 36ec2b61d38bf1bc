import type {} from '../../../../test/global-setup.ts';
import { randomUUID } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { BuildEvent, PUBLISH_QUEUE, type BuildResult, type PublishJob } from '@archway/contract';
import { redisKeys } from '@archway/contract';
import { FsObjectStore, nowIso } from '@archway/runtime';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { testPrefix, testRedis } from '../../../../test/support/redis.ts';
import { RegistryPool } from '../registry/index.ts';
import type { PlatformImage } from '../push-platform.ts';
import { platformGuard } from './guard.ts';
import { pushEarly } from './push-early.ts';
import { EarlyPushState, recordKey } from './state.ts';
import { AMD64, ARM64 } from '../test-support/platforms.ts';

const IMAGE = 'registry.test/me/app';
let redis: Redis;
let prefix: string;
let state: EarlyPushState;

beforeAll(() => {
  redis = testRedis();
  prefix = testPrefix();
  // Locks with the default TTL (30 s): none here must expire while its holder is alive, however
  // slow the machine. The renewal test makes its own short-lived ones.
  state = new EarlyPushState(redis, prefix, { pollMs: 10 });
});
afterAll(() => redis.disconnect());

function result(platform = AMD64): BuildResult {
  return {
    taskId: randomUUID(),
    platform,
    archiveKey: 'a.tar',
    archiveSize: 10,
    archiveDigest: `sha256:${'a'.repeat(64)}`,
    manifestDigest: `sha256:${'b'.repeat(64)}`,
  };
}
function image(digest: string): PlatformImage {
  return { taskId: 't', platform: AMD64, mediaType: 'application/vnd.oci.image.manifest.v1+json', digest, size: 100 };
}
/** A push that records how it was called. */
function recorder(digest = `sha256:${'c'.repeat(64)}`) {
  const calls: boolean[] = [];
  const push = async (again: boolean) => {
    calls.push(again);
    return image(digest);
  };
  return { calls, push };
}

describe('platformGuard (the publish job side of pipelining)', () => {
  it('waits for an early push in flight and uses its image instead of pushing again', async () => {
    const buildId = randomUUID();
    const r = result();
    const early = (await state.tryLock(buildId, r.platform))!;
    expect(early).not.toBeNull();
    const own = recorder();
    const running = platformGuard(state, buildId, IMAGE).run(r, own.push, new AbortController().signal);
    // The early pusher finishes while the job waits for its lock.
    await state.write(buildId, r.platform, { state: 'pushed', pushed: image(`sha256:${'e'.repeat(64)}`), ...recordKey(IMAGE, r) });
    await early.release();
    expect((await running).digest).toBe(`sha256:${'e'.repeat(64)}`);
    expect(own.calls).toEqual([]);
  });

  it('pushes itself, marked as "again", after a failed early push, and records its push', async () => {
    const buildId = randomUUID();
    const r = result();
    await state.write(buildId, r.platform, { state: 'failed', reason: 'registry down', ...recordKey(IMAGE, r) });
    const own = recorder();
    const pushed = await platformGuard(state, buildId, IMAGE).run(r, own.push, new AbortController().signal);
    expect(own.calls).toEqual([true]);
    expect(await state.read(buildId, r.platform)).toMatchObject({ state: 'pushed', pushed: { digest: pushed.digest }, taskId: r.taskId });
    const recorded = await state.read(buildId, r.platform);

    // A late early push of the same archive (its task.built handled only now) finds the record
    // and does nothing: no push started, the record as the publish job left it.
    const publishQueue = new Queue(PUBLISH_QUEUE, { connection: redis, prefix });
    // Were it to push, it would fail (no such registry, no archive) and record that failure.
    const registries = new RegistryPool({ authFile: null, insecureRegistries: [], retries: 0 });
    try {
      const job: PublishJob = { buildId, image: IMAGE, tags: ['latest'], push: true, platforms: [r.platform] };
      await publishQueue.add('publish', job, { jobId: buildId }); // waiting: the build is still open
      const store = new FsObjectStore(await mkdtemp(join(inject('tmpRoot'), 'guard-')));
      const log: string[] = [];
      const event = { type: 'task.built' as const, buildId, taskId: r.taskId, attempt: 1, result: r, at: nowIso() };
      const outcome = await pushEarly(event, { redis, prefix, store, registries, state, publishQueue, log: (l) => log.push(l) }, new AbortController().signal);
      expect(outcome).toBe('skipped');
      expect(log).toEqual([]);
      expect(await state.read(buildId, r.platform)).toEqual(recorded);
      const events = (await redis.xrange(redisKeys(prefix).events, '-', '+')).map(([, f]) => BuildEvent.parse(JSON.parse(f[1]!)));
      expect(events.filter((e) => e.buildId === buildId)).toEqual([]); // no `push linux/amd64` phase
    } finally {
      await publishQueue.close();
      await registries.close();
    }
    // Nor is the lock left taken.
    expect(await state.tryLock(buildId, r.platform)).not.toBeNull();
  });

  it('ignores a push of another archive (a retried task) and another image', async () => {
    const buildId = randomUUID();
    const r = result(ARM64);
    await state.write(buildId, r.platform, {
      state: 'pushed',
      pushed: image(`sha256:${'e'.repeat(64)}`),
      ...recordKey(IMAGE, { ...r, archiveDigest: `sha256:${'f'.repeat(64)}` }),
    });
    const own = recorder();
    await platformGuard(state, buildId, IMAGE).run(r, own.push, new AbortController().signal);
    expect(own.calls).toEqual([false]);

    const other = recorder();
    await platformGuard(state, buildId, 'registry.test/me/other').run(r, other.push, new AbortController().signal);
    expect(other.calls).toEqual([false]);
  });

  it('takes over from a holder that died (its lock expires) and stops waiting when aborted', async () => {
    const buildId = randomUUID();
    const r = result();
    await redis.set(redisKeys(prefix).lock(`early-push:${buildId}:linux/amd64`), 'dead-holder', 'PX', 200);
    const own = recorder();
    await platformGuard(state, buildId, IMAGE).run(r, own.push, new AbortController().signal);
    expect(own.calls).toEqual([false]);

    const blocked = randomUUID();
    await redis.set(redisKeys(prefix).lock(`early-push:${blocked}:linux/amd64`), 'alive-holder', 'PX', 60_000);
    const controller = new AbortController();
    const waiting = platformGuard(state, blocked, IMAGE).run(r, recorder().push, controller.signal);
    controller.abort(new Error('another platform failed'));
    await expect(waiting).rejects.toThrow('another platform failed');
  });

  it('renews a lock while its holder works, and releases only its own', async () => {
    // Renewed every TTL/3 (200 ms): a renewal may come up to 400 ms late before the lock expires.
    const short = new EarlyPushState(redis, prefix, { lockTtlMs: 600, pollMs: 10 });
    const buildId = randomUUID();
    const key = redisKeys(prefix).lock(`early-push:${buildId}:linux/amd64`);
    const lock = (await short.tryLock(buildId, AMD64))!;
    expect(await short.tryLock(buildId, AMD64)).toBeNull();
    // Time passing is what is tested: the lock outlives three TTLs of 600 ms only if renewed.
    const until = Date.now() + 2000;
    while (Date.now() < until) {
      expect(await redis.exists(key)).toBe(1);
      await new Promise((r) => setTimeout(r, 50));
    }
    await redis.set(key, 'someone-else', 'PX', 60_000);
    await lock.release();
    expect(await redis.get(key)).toBe('someone-else');
  });
});
