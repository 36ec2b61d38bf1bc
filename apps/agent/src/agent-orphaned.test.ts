import { spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { testPrefix, testRedis } from '../../../test/support/redis.ts';
import type { AgentConfig } from './env.ts';
import { cleanLeftovers } from './leftovers.ts';
import { silentLogger } from './log.ts';
import { agentConfig, BUSYBOX, buildJob, buildQueue, enqueue, makeRepo, processRunning, readEvents, readLog, waitFor } from '../test/support.ts';

const PLATFORM = 'linux/amd64';
const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));

describe('an agent whose parent is SIGKILLed (as under npm start)', () => {
  const prefix = testPrefix();
  let redis: Redis;
  let queue: Queue;
  let config: AgentConfig | undefined;
  let agentPid = 0;

  beforeAll(() => {
    redis = testRedis();
    queue = buildQueue(prefix, PLATFORM);
  });
  afterAll(async () => {
    if (agentPid && processRunning(agentPid)) process.kill(agentPid, 'SIGKILL');
    if (config) await cleanLeftovers(config, { ...config }, silentLogger);
    await queue?.close();
    redis?.disconnect();
  });

  it('gets SIGTERM from the kernel, requeues its running build at once (no drain) and exits', { timeout: 120_000 }, async () => {
    const storeDir = await mkdtemp(join(inject('tmpRoot'), 'store-'));
    config = await agentConfig(prefix, PLATFORM, storeDir, { ARCHWAY_AGENT_ID: 'orphan' });
    // The parent: a shell that starts the agent as the launcher does (setpriv --pdeathsig SIGTERM).
    const parent = spawn('sh', ['-c', 'setpriv --pdeathsig SIGTERM -- "$0" --import tsx "$1" & echo "pid $!"; wait', process.execPath, MAIN], {
      env: {
        PATH: process.env.PATH!,
        HOME: process.env.HOME ?? '/root',
        REDIS_URL: config.redisUrl,
        ARCHWAY_QUEUE_PREFIX: prefix,
        ARCHWAY_OBJECT_STORE: config.objectStore,
        ARCHWAY_AGENT_PLATFORM: PLATFORM,
        ARCHWAY_AGENT_DATA_DIR: config.dataDir,
        ARCHWAY_AGENT_ID: 'orphan',
        // A drain that would outlast the test: the orphaned agent must not wait for it.
        ARCHWAY_AGENT_DRAIN_TIMEOUT: '10m',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    parent.stdout!.on('data', (d) => (out += d));
    parent.stderr!.on('data', (d) => (out += d));
    agentPid = await waitFor('the agent pid', async () => Number(/^pid (\d+)$/m.exec(out)?.[1] ?? 0), 10_000);
    await waitFor('the agent to start', async () => out.includes('agent.started'), 30_000);

    const repo = await makeRepo({
      Containerfile: 'FROM scratch\nCOPY busybox /bin/sh\nCOPY busybox /bin/sleep\nRUN echo working && sleep 60\n',
      busybox: { copy: BUSYBOX },
    });
    const job = buildJob(PLATFORM, repo);
    await enqueue(queue, job);
    await waitFor('the RUN step', async () => (await readLog(redis, prefix, job.taskId)).some((l) => l.line === 'working'), 60_000);

    parent.kill('SIGKILL');
    const killedAt = Date.now();
    await waitFor('the agent to exit', async () => !processRunning(agentPid), 20_000);
    expect(Date.now() - killedAt).toBeLessThan(20_000);
    expect(logRecords(out)).toContainEqual(
      expect.objectContaining({ component: 'agent', msg: 'signal', signal: 'SIGTERM', action: 'requeue running tasks', parent: 'gone' }),
    );
    const requeued = (await readEvents(redis, prefix, job.taskId)).filter((e) => e.type === 'task.requeued');
    expect(requeued).toHaveLength(1);
    expect(await (await queue.getJob(job.taskId))?.getState()).toBe('waiting');
  });
});

/** The agent's JSON log records in `out`, one a line; other lines (the shell's `pid …`) are skipped. */
function logRecords(out: string): Record<string, unknown>[] {
  return out.split('\n').flatMap((line) => {
    try {
      const record: unknown = JSON.parse(line);
      return record !== null && typeof record === 'object' ? [record as Record<string, unknown>] : [];
    } catch {
      return [];
    }
  });
}
