import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import type { AgentInfo, AgentView, QueueDepth } from '@archway/contract';
import { redisKeys } from '@archway/contract';
import { apiFixture, queueBuilds, type ApiFixture } from '../../testing/fixture.ts';

let f: ApiFixture;

beforeAll(async () => {
  f = await apiFixture({ allowLocalSources: true });
});
afterAll(async () => f?.close());

/** A heartbeat as an agent writes it to Redis (the API parses it). */
function heartbeat(id: string, platform: string, extra: Partial<AgentInfo> = {}): z.input<typeof AgentInfo> {
  return {
    id,
    platform,
    hostname: `${id}.lan`,
    version: '0.1.0',
    state: 'idle',
    currentTasks: [],
    concurrency: 1,
    freeDiskBytes: 10_000_000_000,
    cacheBytes: 1_000_000,
    at: new Date().toISOString(),
    ...extra,
  };
}

describe('GET /api/v1/agents', () => {
  it('lists live agents from their heartbeats and remembers them; expired ones come back as lost', async () => {
    const keys = redisKeys(f.prefix);
    await f.redis.set(keys.agent('pi-1'), JSON.stringify(heartbeat('pi-1', 'linux/arm64', { state: 'busy', currentTasks: ['t1'] })), 'EX', 30);
    await f.redis.set(keys.agent('x86-1'), JSON.stringify(heartbeat('x86-1', 'linux/amd64')), 'EX', 30);
    await f.redis.set(keys.agent('broken'), '{"id": 1}', 'EX', 30);

    const first = await f.app.inject({ method: 'GET', url: '/api/v1/agents', headers: f.auth });
    expect(first.statusCode).toBe(200);
    const items = first.json().items as AgentView[];
    expect(items.map((a) => [a.id, a.state])).toEqual([
      ['x86-1', 'idle'],
      ['pi-1', 'busy'],
    ]);
    expect(items[1]!.currentTasks).toEqual(['t1']);
    expect(await f.prisma.agent.count()).toBe(2);

    await f.redis.del(keys.agent('pi-1')); // the TTL ran out
    const second = (await f.app.inject({ method: 'GET', url: '/api/v1/agents', headers: f.auth })).json().items as AgentView[];
    const pi = second.find((a) => a.id === 'pi-1')!;
    expect(pi).toMatchObject({ state: 'lost', platform: 'linux/arm64', hostname: 'pi-1.lan', currentTasks: [] });
    expect(pi.lastHeartbeat).toBe(items[1]!.lastHeartbeat);
    expect(second.find((a) => a.id === 'x86-1')!.state).toBe('idle');
  });
});

describe('GET /api/v1/queues', () => {
  it('counts waiting and active jobs per platform, with the age of the oldest waiting job', async () => {
    await queueBuilds(f, ['linux/arm64', 'linux/riscv64'], 2);
    const oldest = await f.queues.queue('build-linux-riscv64').getJobs(['waiting']);
    const firstAdded = Math.min(...oldest.map((j) => j.timestamp));
    const { Worker } = await import('bullmq');
    const { Redis } = await import('ioredis');
    const { inject } = await import('vitest');
    const conn = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null });
    const worker = new Worker('build-linux-arm64', null, { connection: conn, prefix: f.prefix, autorun: false });
    try {
      expect(await worker.getNextJob('agent')).toBeDefined();
      const before = Date.now();
      const res = await f.app.inject({ method: 'GET', url: '/api/v1/queues', headers: f.auth });
      expect(res.statusCode).toBe(200);
      const items = res.json().items as QueueDepth[];
      const arm = items.find((q) => q.platform === 'linux/arm64')!;
      const riscv = items.find((q) => q.platform === 'linux/riscv64')!;
      expect(arm).toMatchObject({ queue: 'build-linux-arm64', waiting: 1, active: 1, delayed: 0 });
      expect(riscv).toMatchObject({ queue: 'build-linux-riscv64', waiting: 2, active: 0, agents: 0 });
      expect(riscv.oldestWaitingMs).toBeGreaterThanOrEqual(before - firstAdded);
      expect(riscv.oldestWaitingMs).toBeLessThan(Date.now() - firstAdded + 1000);
      // No build asked for amd64, but the live agent x86-1 (previous test) serves it.
      expect(items.find((q) => q.platform === 'linux/amd64')).toMatchObject({ waiting: 0, active: 0, oldestWaitingMs: null, agents: 1 });
    } finally {
      await worker.close(true);
      conn.disconnect();
    }
  });
});
