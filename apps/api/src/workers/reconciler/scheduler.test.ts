import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisKeys, type AgentView } from '@archway/contract';
import type { ApiFixture } from '../../testing/fixture.ts';
import { startReconciler, sweepExclusive } from './index.ts';
import { heartbeat, publishJob, reconcileFixture, sweep, sweepDeps, waitFor } from './test-support.ts';

let f: ApiFixture;

beforeAll(async () => {
  f = await reconcileFixture();
});
afterAll(async () => f?.close());

describe('reconciler: schedule and lost agents', () => {
  it('sweeps at start and on its interval, and skips while another replica holds the lock', async () => {
    const row = () =>
      f.prisma.build.create({
        data: {
          sourceUrl: 'file:///nowhere',
          ref: 'main',
          commit: 'b'.repeat(40),
          platforms: ['linux/amd64'],
          tags: [],
          push: false,
          tasks: { create: [{ platform: 'linux/amd64' }] },
        },
      });
    const lock = redisKeys(f.prefix).lock('reconcile');
    await f.redis.set(lock, 'another-replica', 'PX', 60_000);
    expect(await sweepExclusive(sweepDeps(f))).toBeNull();

    await f.redis.del(lock); // the other replica finished

    // An interval of an hour: only the sweep at start can queue it.
    const first = await row();
    const atStart = startReconciler(sweepDeps(f, { intervalMs: 3_600_000 }));
    try {
      await waitFor(async () => publishJob(f, first.id), 'the sweep at start to queue the build again', 20_000);
    } finally {
      await atStart.close();
    }

    const ticking = startReconciler(sweepDeps(f, { intervalMs: 100 }));
    try {
      const second = await row(); // appears while the reconciler runs: found by a later tick
      await waitFor(async () => publishJob(f, second.id), 'a later sweep to queue the second build again', 20_000);
    } finally {
      await ticking.close();
    }
  });

  it('lists an agent that stopped beating as lost with its last task, though nobody listed agents while it lived', async () => {
    const keys = redisKeys(f.prefix);
    await f.redis.set(keys.agent('pi-7'), JSON.stringify(heartbeat('pi-7', 'linux/arm64', { state: 'busy', currentTasks: ['task-42'] })), 'PX', 500);
    await sweep(f); // the sweep sees it; no GET /agents meanwhile
    await waitFor(async () => (await f.redis.exists(keys.agent('pi-7'))) === 0, 'the heartbeat to expire');

    const items = (await f.app.inject({ method: 'GET', url: '/api/v1/agents', headers: f.auth })).json().items as AgentView[];
    expect(items.find((a) => a.id === 'pi-7')).toMatchObject({
      state: 'lost',
      platform: 'linux/arm64',
      hostname: 'pi-7.lan',
      currentTasks: [],
      lastTask: 'task-42',
    });
  });

  it('forgets lost agents whose last heartbeat is older than ARCHWAY_AGENT_FORGET_AFTER, keeps the others', async () => {
    const keys = redisKeys(f.prefix);
    const old = new Date(Date.now() - 3 * 3_600_000).toISOString();
    await f.redis.set(keys.agent('old-1'), JSON.stringify(heartbeat('old-1', 'linux/amd64', { at: old })), 'PX', 300);
    await f.redis.set(keys.agent('live-1'), JSON.stringify(heartbeat('live-1', 'linux/amd64', { at: old })), 'EX', 30);
    await sweep(f);
    await waitFor(async () => (await f.redis.exists(keys.agent('old-1'))) === 0, 'the heartbeat to expire');
    expect((await sweep(f, { forgetAgentsMs: 3_600_000 })).forgottenAgents).toBeGreaterThanOrEqual(1);
    const ids = (await f.prisma.agent.findMany()).map((a) => a.id);
    expect(ids).not.toContain('old-1');
    expect(ids).toContain('live-1'); // alive, however old its clock says its beat is
  });
});
