import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { throwawayRedis } from '../../../test/support/throwaway-redis.ts';
import type {} from '../../../test/global-setup.ts';
import { spawnAgent, waitFor, type AgentProcess } from '../test/support.ts';

async function startIdleAgent(redisUrl: string, drainTimeout: string): Promise<AgentProcess> {
  const dataDir = await mkdtemp(join(inject('tmpRoot'), 'agent-redis-gone-'));
  const agent = spawnAgent({
    REDIS_URL: redisUrl,
    ARCHWAY_OBJECT_STORE: `file://${dataDir}/objects`,
    ARCHWAY_AGENT_DATA_DIR: join(dataDir, 'agent'),
    ARCHWAY_AGENT_ID: 'redis-gone',
    ARCHWAY_AGENT_DRAIN_TIMEOUT: drainTimeout,
  });
  await waitFor('the agent to start', async () => agent.out.stdout.includes('agent.started'), 30_000);
  return agent;
}

/** The agent's log: one JSON record a line on stdout. */
function logRecords(stdout: string): Record<string, unknown>[] {
  return stdout.split('\n').flatMap((line) => {
    try {
      const record: unknown = JSON.parse(line);
      return record !== null && typeof record === 'object' ? [record as Record<string, unknown>] : [];
    } catch {
      return [];
    }
  });
}

describe('an agent told to stop after Redis went away', () => {
  const cleanup: Array<() => void> = [];
  afterEach(() => {
    for (const f of cleanup.splice(0)) f();
  });

  it('exits in seconds when idle, though its drain timeout is long, instead of retrying the connection forever', { timeout: 60_000 }, async () => {
    const redis = await throwawayRedis();
    cleanup.push(() => void redis.kill());
    const agent = await startIdleAgent(redis.url, '10m');
    cleanup.push(() => agent.child.kill('SIGKILL'));
    await redis.kill();
    const t0 = Date.now();
    agent.child.kill('SIGTERM');
    // Nothing to drain: the close gives Redis 5 s (IDLE_CLOSE_MS), plus a margin for a loaded machine.
    const code = await Promise.race([agent.exited, new Promise<'still running'>((r) => setTimeout(() => r('still running'), 20_000))]);
    expect(code).toBe(0);
    expect(Date.now() - t0).toBeLessThan(12_000);
    expect(logRecords(agent.out.stdout)).toContainEqual(expect.objectContaining({ component: 'agent', msg: 'agent.draining', running: 'none' }));
  });

  it('exits at once on a second SIGTERM, though its drain timeout is long', { timeout: 60_000 }, async () => {
    const redis = await throwawayRedis();
    cleanup.push(() => void redis.kill());
    const agent = await startIdleAgent(redis.url, '10m');
    cleanup.push(() => agent.child.kill('SIGKILL'));
    await redis.kill();
    agent.child.kill('SIGTERM');
    await waitFor('the agent to drain', async () => agent.out.stdout.includes('agent.draining'), 10_000);
    const t0 = Date.now();
    agent.child.kill('SIGTERM');
    const code = await Promise.race([agent.exited, new Promise<'still running'>((r) => setTimeout(() => r('still running'), 15_000))]);
    expect(code).toBe(0);
    // FORCE_CLOSE_MARGIN_MS is 3 s.
    expect(Date.now() - t0).toBeLessThan(8_000);
    expect(logRecords(agent.out.stdout)).toContainEqual(
      expect.objectContaining({ component: 'agent', msg: 'signal', signal: 'SIGTERM', action: 'requeue running tasks' }),
    );
  });
});
