import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { AgentInfo } from '@archway/contract';
import { redisKeys } from '@archway/contract';
import type {} from '../../../test/global-setup.ts';
import { testPrefix, testRedis } from '../../../test/support/redis.ts';
import { spawnAgent, waitFor } from '../test/support.ts';

const startMain = spawnAgent;

describe('main.ts (the agent process)', () => {
  const redis = testRedis();
  afterAll(() => redis.disconnect());

  it('refuses to start with a clear message when required variables are missing', async () => {
    const { out, exited } = startMain({ ARCHWAY_AGENT_CONCURRENCY: 'many' });
    expect(await exited).toBe(2);
    expect(out.stderr).toContain('invalid agent configuration:\n');
    expect(out.stderr).toContain('  - REDIS_URL: is required');
    expect(out.stderr).toContain('  - ARCHWAY_OBJECT_STORE: is required');
    expect(out.stderr).toContain('  - ARCHWAY_AGENT_CONCURRENCY: must be a number');
    expect(out.stderr).toContain('See apps/agent/ENV.md.');
  });

  it('refuses to start when, on this disk, the stop watermark is not under the start one (mixed units)', async () => {
    const dataDir = await mkdtemp(join(inject('tmpRoot'), 'main-marks-'));
    const { out, exited } = startMain({
      REDIS_URL: inject('redisUrl'),
      ARCHWAY_OBJECT_STORE: `file://${dataDir}/objects`,
      ARCHWAY_AGENT_DATA_DIR: join(dataDir, 'agent'),
      ARCHWAY_AGENT_MIN_FREE_SPACE: '1%',
      ARCHWAY_AGENT_STOP_FREE_SPACE: '900TB',
    });
    expect(await exited).toBe(2);
    expect(out.stderr).toMatch(
      /ARCHWAY_AGENT_MIN_FREE_SPACE \(1% = .+ here\) must be more than ARCHWAY_AGENT_STOP_FREE_SPACE \(819 TiB = 819 TiB here\): a task would be stopped as soon as it starts/,
    );
    expect(out.stdout).not.toContain('agent.started');
  });

  it('heartbeats, logs one line per event without the Redis password, and drains on SIGTERM', async () => {
    const prefix = testPrefix();
    const dataDir = await mkdtemp(join(inject('tmpRoot'), 'main-'));
    const url = new URL(inject('redisUrl'));
    url.password = 's3cret-never-logged';
    const { child, out, exited } = startMain({
      REDIS_URL: url.toString(),
      ARCHWAY_QUEUE_PREFIX: prefix,
      ARCHWAY_OBJECT_STORE: `file://${dataDir}/objects`,
      ARCHWAY_AGENT_DATA_DIR: join(dataDir, 'agent'),
      ARCHWAY_AGENT_ID: 'main-test',
      ARCHWAY_AGENT_PLATFORM: 'linux/arm64',
    });
    try {
      const key = redisKeys(prefix).agent('main-test');
      const raw = await waitFor('the heartbeat', () => redis.get(key), 30_000);
      expect(AgentInfo.parse(JSON.parse(raw))).toMatchObject({ id: 'main-test', platform: 'linux/arm64', state: 'idle' });
      await waitFor('the start line', async () => out.stdout.includes('agent.started'));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(await redis.exists(key)).toBe(0);
      const started = out.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l))
        .find((r) => r.msg === 'agent.started');
      expect(started).toMatchObject({ level: 'info', component: 'agent', id: 'main-test', platform: 'linux/arm64', queue: 'build-linux-arm64' });
      expect(started.time).toMatch(/Z$/);
      expect(out.stdout).toContain('agent.stopped');
      expect(out.stdout + out.stderr).not.toContain('s3cret-never-logged');
    } finally {
      child.kill('SIGKILL');
    }
  });
});
