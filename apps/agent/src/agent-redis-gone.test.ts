import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { freePort } from '@archway/runtime';
import type {} from '../../../test/global-setup.ts';
import { processRunning, spawnAgent, waitFor, type AgentProcess } from '../test/support.ts';

/** A throwaway redis-server of this test's own (the suite's shared one must stay up). */
async function throwawayRedis(): Promise<{ url: string; server: ChildProcess }> {
  const port = await freePort();
  const server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  server.stdout!.on('data', (d) => (out += d));
  await waitFor('redis-server to accept connections', async () => out.includes('Ready to accept connections'), 15_000);
  return { url: `redis://127.0.0.1:${port}`, server };
}

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

async function killRedis(server: ChildProcess): Promise<void> {
  server.kill('SIGKILL');
  await waitFor('redis-server to be gone', async () => !processRunning(server.pid!), 10_000);
}

describe('an agent told to stop after Redis went away', () => {
  const cleanup: Array<() => void> = [];
  afterEach(() => cleanup.splice(0).forEach((f) => f()));

  it('exits in seconds when idle, though its drain timeout is long, instead of retrying the connection forever', { timeout: 60_000 }, async () => {
    const { url, server } = await throwawayRedis();
    cleanup.push(() => server.kill('SIGKILL'));
    const agent = await startIdleAgent(url, '10m');
    cleanup.push(() => agent.child.kill('SIGKILL'));
    await killRedis(server);
    const t0 = Date.now();
    agent.child.kill('SIGTERM');
    // Nothing to drain: the close gives Redis 5 s (IDLE_CLOSE_MS), plus a margin for a loaded machine.
    const code = await Promise.race([agent.exited, new Promise<'still running'>((r) => setTimeout(() => r('still running'), 20_000))]);
    expect(code).toBe(0);
    expect(Date.now() - t0).toBeLessThan(12_000);
    expect(agent.out.stdout).toContain('agent.draining running=none');
  });

  it('exits at once on a second SIGTERM, though its drain timeout is long', { timeout: 60_000 }, async () => {
    const { url, server } = await throwawayRedis();
    cleanup.push(() => server.kill('SIGKILL'));
    const agent = await startIdleAgent(url, '10m');
    cleanup.push(() => agent.child.kill('SIGKILL'));
    await killRedis(server);
    agent.child.kill('SIGTERM');
    await waitFor('the agent to drain', async () => agent.out.stdout.includes('agent.draining'), 10_000);
    const t0 = Date.now();
    agent.child.kill('SIGTERM');
    const code = await Promise.race([agent.exited, new Promise<'still running'>((r) => setTimeout(() => r('still running'), 15_000))]);
    expect(code).toBe(0);
    // FORCE_CLOSE_MARGIN_MS is 3 s.
    expect(Date.now() - t0).toBeLessThan(8_000);
    expect(agent.out.stdout).toContain('action="requeue running tasks"');
  });
});
