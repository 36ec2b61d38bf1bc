import { mkdtemp, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { redisKeys } from '@archway/contract';
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
} from '../test/support.ts';
import { startAgent, type AgentHandle } from './agent.ts';
import { silentLogger } from './log.ts';
import { listContainers } from './task/buildah.ts';

const PLATFORM = LINUX_AMD64;

describe('retries and shutdown', () => {
  const prefix = testPrefix();
  let redis: Redis;
  let storeDir: string;
  let queue: Queue;
  const agents: AgentHandle[] = [];

  beforeAll(async () => {
    redis = testRedis();
    storeDir = await mkdtemp(join(inject('tmpRoot'), 'store-'));
    queue = buildQueue(prefix, PLATFORM);
  });

  afterAll(async () => {
    await Promise.all(agents.map((a) => a.close()));
    await queue?.close();
    redis?.disconnect();
  });

  it('retries an unreachable repository and succeeds on the second attempt', async () => {
    const agent = await startAgent(await agentConfig(prefix, PLATFORM, storeDir), { log: silentLogger });
    agents.push(agent);
    const made = await makeRepo({ Containerfile: 'FROM scratch\nCOPY Containerfile /\n' });
    const later = `${made.dir}-later`;
    const job = buildJob(PLATFORM, { url: `file://${later}`, commit: made.commit });
    // A backoff far longer than the test: the retry waits, delayed, until the repository is in
    // place, and is then promoted (no race with a 2 s backoff on a slow machine).
    await enqueue(queue, job, { backoff: { type: 'fixed', delay: 10 * 60_000 } });

    // Attempt 1 fails (no repository there yet); the failure is not final.
    const first = await waitFor('the first failure', async () => (await readEvents(redis, prefix, job.taskId)).find((e) => e.type === 'task.failed'));
    expect(first).toMatchObject({ attempt: 1, final: false });
    expect(first.type === 'task.failed' && first.reason).toMatch(/^linux\/amd64|git fetch/);
    const waiting = await waitFor('the retry to be scheduled', async () => {
      const j = await queue.getJob(job.taskId);
      return j && (await j.getState()) === 'delayed' ? j : null;
    });
    await rename(made.dir, later); // the "network" is back before the retry
    await waiting.promote();

    const done = await waitForFinished(queue, job.taskId);
    expect(await done.getState()).toBe('completed');
    expect(done.attemptsMade).toBe(2); // BullMQ counts the failed and the successful attempt
    const events = await readEvents(redis, prefix, job.taskId);
    expect(events.filter((e) => e.type === 'task.started').map((e) => e.type === 'task.started' && e.attempt)).toEqual([1, 2]);
    expect(events.at(-1)).toMatchObject({ type: 'task.built', attempt: 2 });
    const log = await readLog(redis, prefix, job.taskId);
    expect(log.filter((l) => l.end).map((l) => l.attempt)).toEqual([1, 2]);
    expect(log.some((l) => l.attempt === 1 && l.line?.includes('(will be retried)'))).toBe(true);
    await agent.close();
  });

  it('close() waits for the running build, then removes the heartbeat', async () => {
    const agent = await startAgent(await agentConfig(prefix, PLATFORM, storeDir), { log: silentLogger });
    agents.push(agent);
    const repo = await makeRepo({
      Containerfile: 'FROM scratch\nCOPY busybox /bin/sh\nCOPY busybox /bin/sleep\nRUN echo sleeping && sleep 2\n',
      busybox: { copy: BUSYBOX },
    });
    const job = buildJob(PLATFORM, repo);
    await enqueue(queue, job);
    await waitFor('the RUN step', async () => (await readLog(redis, prefix, job.taskId)).some((l) => l.line === 'sleeping'));
    // The heartbeat is refreshed as soon as a task starts, not only every 5 s.
    const info = JSON.parse((await redis.get(redisKeys(prefix).agent(agent.id)))!);
    expect(info).toMatchObject({ state: 'busy', currentTasks: [job.taskId] });

    await agent.close();
    const finished = await queue.getJob(job.taskId);
    expect(await finished!.getState()).toBe('completed');
    expect(await redis.exists(redisKeys(prefix).agent(agent.id))).toBe(0);
  });

  it('SIGTERM drains: a build that outlasts the grace period is requeued (no attempt used) and finishes on another agent', async () => {
    const aConfig = await agentConfig(prefix, PLATFORM, storeDir, { ARCHWAY_AGENT_ID: 'drain-a' });
    const a = spawnAgent({
      REDIS_URL: aConfig.redisUrl,
      ARCHWAY_QUEUE_PREFIX: prefix,
      ARCHWAY_OBJECT_STORE: aConfig.objectStore,
      ARCHWAY_AGENT_PLATFORM: PLATFORM,
      ARCHWAY_AGENT_DATA_DIR: aConfig.dataDir,
      ARCHWAY_AGENT_ID: 'drain-a',
      ARCHWAY_AGENT_DRAIN_TIMEOUT: '1s',
    });
    try {
      await waitFor('agent A to start', async () => a.out.stdout.includes('agent.started'), 30_000);
      const repo = await makeRepo({
        Containerfile: 'FROM scratch\nCOPY busybox /bin/sh\nCOPY busybox /bin/sleep\nRUN echo sleeping && sleep 4\n',
        busybox: { copy: BUSYBOX },
      });
      const job = buildJob(PLATFORM, repo);
      await enqueue(queue, job);
      await waitFor('the RUN step on A', async () => (await readLog(redis, prefix, job.taskId)).some((l) => l.line === 'sleeping'));
      const b = await startAgent(await agentConfig(prefix, PLATFORM, storeDir, { ARCHWAY_AGENT_ID: 'drain-b' }), { log: silentLogger });
      agents.push(b);

      a.child.kill('SIGTERM');
      expect(await a.exited).toBe(0);
      expect(a.out.stdout).toContain('agent.drain-timeout');

      const done = await waitForFinished(queue, job.taskId);
      expect(await done.getState()).toBe('completed');
      expect(done.attemptsMade).toBe(1); // the interrupted attempt did not count
      const events = await readEvents(redis, prefix, job.taskId);
      const outcome = events.filter((e) => ['task.started', 'task.failed', 'task.built', 'task.requeued'].includes(e.type));
      expect(outcome.map((e) => [e.type, 'attempt' in e ? e.attempt : undefined, 'agent' in e ? e.agent : undefined])).toEqual([
        ['task.started', 1, 'drain-a'],
        ['task.requeued', 1, 'drain-a'],
        ['task.started', 2, 'drain-b'],
        ['task.built', 2, undefined],
      ]);
      expect(outcome[1]).toMatchObject({ cause: 'evicted' });
      expect(outcome[1]!.type === 'task.requeued' && outcome[1]!.reason).toMatch(
        /agent drain-a was shut down during step 4\/4: RUN echo sleeping && sleep 4; the task goes back to the queue/,
      );
      // A cleaned up after itself before exiting: no working container left in its storage.
      const settings = { buildah: aConfig.buildah, dataDir: aConfig.dataDir, platform: PLATFORM, isolation: aConfig.isolation };
      expect(await listContainers(settings)).toEqual([]);
    } finally {
      a.child.kill('SIGKILL');
    }
  });
});
