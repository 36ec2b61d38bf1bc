import type {} from '../../../../../test/global-setup.ts';
import { randomUUID } from 'node:crypto';
import type { BuildResult } from '@archway/shared';
import { redisKeys } from '@archway/shared/node';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testPrefix, testRedis } from '../../../../../test/support/redis.ts';
import type { PlatformImage } from '../push-platform.ts';
import { platformGuard } from './guard.ts';
import { EarlyPushState, recordKey } from './state.ts';

const IMAGE = 'registry.test/me/app';
let redis: Redis;
let prefix: string;
let state: EarlyPushState;

beforeAll(() => {
  redis = testRedis();
  prefix = testPrefix();
  state = new EarlyPushState(redis, prefix, { lockTtlMs: 300, pollMs: 10 });
});
afterAll(() => redis.disconnect());

function result(platform = 'linux/amd64'): BuildResult {
  return { taskId: randomUUID(), platform, archiveKey: 'a.tar', archiveSize: 10, archiveDigest: `sha256:${'a'.repeat(64)}`, manifestDigest: `sha256:${'b'.repeat(64)}` };
}
function image(digest: string): PlatformImage {
  return { taskId: 't', platform: { os: 'linux', architecture: 'amd64' }, mediaType: 'application/vnd.oci.image.manifest.v1+json', digest, size: 100 };
}
/** A push that records how it was called. */
function recorder(digest = `sha256:${'c'.repeat(64)}`) {
  const calls: boolean[] = [];
  return { calls, push: async (again: boolean) => (calls.push(again), image(digest)) };
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
    // A late early push of the same archive finds the record and does nothing.
    expect(await state.tryLock(buildId, r.platform)).not.toBeNull();
  });

  it('ignores a push of another archive (a retried task) and another image', async () => {
    const buildId = randomUUID();
    const r = result('linux/arm64');
    await state.write(buildId, r.platform, { state: 'pushed', pushed: image(`sha256:${'e'.repeat(64)}`), ...recordKey(IMAGE, { ...r, archiveDigest: `sha256:${'f'.repeat(64)}` }) });
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
    const buildId = randomUUID();
    const key = redisKeys(prefix).lock(`early-push:${buildId}:linux/amd64`);
    const lock = (await state.tryLock(buildId, 'linux/amd64'))!;
    expect(await state.tryLock(buildId, 'linux/amd64')).toBeNull();
    // Time passing is what is tested: the lock outlives three TTLs of 300 ms only if renewed.
    const until = Date.now() + 1000;
    while (Date.now() < until) {
      expect(await redis.exists(key)).toBe(1);
      await new Promise((r) => setTimeout(r, 50));
    }
    await redis.set(key, 'someone-else', 'PX', 60_000);
    await lock.release();
    expect(await redis.get(key)).toBe('someone-else');
  });
});
