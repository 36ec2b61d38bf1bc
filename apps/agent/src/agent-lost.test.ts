import { join } from 'node:path';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mkdtemp } from 'node:fs/promises';
import { testPrefix, testRedis } from '../../../test/support/redis.ts';
import {
  agentConfig,
  BUSYBOX,
  buildJob,
  buildQueue,
  enqueue,
  makeRepo,
  readEvents,
  readLog,
  spawnAgent,
  waitFor,
  waitForFinished,
  LINUX_AMD64,
  type AgentProcess,
} from '../test/support.ts';
import { startAgent, type AgentHandle } from './agent.ts';
import type { AgentConfig } from './env.ts';
import { cleanLeftovers } from './leftovers.ts';
import { silentLogger } from './log.ts';

const PLATFORM = LINUX_AMD64;

describe('an agent killed mid-build (kill -9)', () => {
  const prefix = testPrefix();
  let redis: Redis;
  let queue: Queue;
  let storeDir: string;
  let a: AgentProcess | undefined;
  let aConfig: AgentConfig | undefined;
  let b: AgentHandle | undefined;

  beforeAll(async () => {
    redis = testRedis();
    storeDir = await mkdtemp(join(inject('tmpRoot'), 'store-'));
    queue = buildQueue(prefix, PLATFORM);
  });

  afterAll(async () => {
    a?.child.kill('SIGKILL');
    // What agent A does when it comes back: kill its orphaned buildah, remove its containers and mounts.
    if (aConfig) await cleanLeftovers(aConfig, { ...aConfig }, silentLogger);
    await b?.close();
    await queue?.close();
    redis?.disconnect();
  });

  it('is retried on the second agent: the build succeeds with two attempts, the first `agent-lost`', async () => {
    const lock = { ARCHWAY_AGENT_LOCK_DURATION: '4s' };
    aConfig = await agentConfig(prefix, PLATFORM, storeDir, { ...lock, ARCHWAY_AGENT_ID: 'agent-a' });
    a = spawnAgent({
      REDIS_URL: aConfig.redisUrl,
      ARCHWAY_QUEUE_PREFIX: prefix,
      ARCHWAY_OBJECT_STORE: aConfig.objectStore,
      ARCHWAY_AGENT_PLATFORM: PLATFORM,
      ARCHWAY_AGENT_DATA_DIR: aConfig.dataDir,
      ARCHWAY_AGENT_ID: 'agent-a',
      ...lock,
    });
    await waitFor('agent A to start', async () => a!.out.stdout.includes('agent.started'), 30_000);

    const repo = await makeRepo({
      Containerfile: 'FROM scratch\nCOPY busybox /bin/sh\nCOPY busybox /bin/sleep\nRUN echo working && sleep 3 && echo done\n',
      busybox: { copy: BUSYBOX },
    });
    const job = buildJob(PLATFORM, repo);
    await enqueue(queue, job);
    await waitFor('agent A to run the RUN step', async () => (await readLog(redis, prefix, job.taskId)).some((l) => l.line === 'working'), 60_000);
    // The second agent starts only now, so agent A is the one that took the task.
    b = await startAgent(await agentConfig(prefix, PLATFORM, storeDir, { ...lock, ARCHWAY_AGENT_ID: 'agent-b' }), { log: silentLogger });

    const killedAt = Date.now();
    a.child.kill('SIGKILL');
    await a.exited;

    const done = await waitForFinished(queue, job.taskId, 90_000);
    expect(await done.getState()).toBe('completed');
    expect(done.returnvalue).toMatchObject({ taskId: job.taskId, platform: PLATFORM });

    const events = await readEvents(redis, prefix, job.taskId);
    const outcome = events.filter((e) => ['task.started', 'task.failed', 'task.built', 'task.requeued'].includes(e.type));
    expect(outcome.map((e) => [e.type, 'attempt' in e ? e.attempt : undefined, 'agent' in e ? e.agent : undefined])).toEqual([
      ['task.started', 1, 'agent-a'],
      ['task.failed', 1, 'agent-a'],
      ['task.started', 2, 'agent-b'],
      ['task.built', 2, undefined],
    ]);
    const lost = outcome[1]!;
    expect(lost).toMatchObject({ cause: 'agent-lost', final: false });
    expect(lost.type === 'task.failed' && lost.reason).toMatch(
      /^linux\/amd64: agent agent-a was lost during attempt 1: it stopped renewing its lock on the task for 4s/,
    );

    // Retried well within the ~30 s a lost agent may cost (lock 4 s + two stalled checks).
    const retriedAt = Date.parse(outcome[2]!.at);
    expect(retriedAt - killedAt).toBeLessThan(15_000);
    // Both attempts' live logs are closed, so no viewer waits forever on the dead one.
    const log = await readLog(redis, prefix, job.taskId);
    expect(log.filter((l) => l.end).map((l) => l.attempt)).toEqual([1, 2]);
  });
});
