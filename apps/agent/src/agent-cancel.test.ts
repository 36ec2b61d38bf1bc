import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { redisKeys } from '@archway/contract';
import { testPrefix, testRedis } from '../../../test/support/redis.ts';
import { agentConfig, BUSYBOX, buildJob, buildQueue, enqueue, makeRepo, readEvents, readLog, waitFor, waitForFinished, LINUX_AMD64 } from '../test/support.ts';
import { startAgent, type AgentHandle } from './agent.ts';
import type { AgentConfig } from './env.ts';
import { silentLogger } from './log.ts';
import { listContainers, runBuildah, storageArgs } from './task/buildah.ts';

const PLATFORM = LINUX_AMD64;

/** Mount points under `dir` (overlay mounts a killed buildah could leave behind). */
async function mountsUnder(dir: string): Promise<string[]> {
  const mounts = await readFile('/proc/self/mounts', 'utf8');
  return mounts
    .split('\n')
    .map((l) => l.split(' ')[1] ?? '')
    .filter((p) => p.startsWith(`${dir}/`));
}

describe('cancel', () => {
  const prefix = testPrefix();
  let redis: Redis;
  let agent: AgentHandle;
  let config: AgentConfig;
  let queue: Queue;

  beforeAll(async () => {
    redis = testRedis();
    const storeDir = await mkdtemp(join(inject('tmpRoot'), 'store-'));
    config = await agentConfig(prefix, PLATFORM, storeDir);
    agent = await startAgent(config, { log: silentLogger });
    queue = buildQueue(prefix, PLATFORM);
  });

  afterAll(async () => {
    await agent?.close();
    await queue?.close();
    redis?.disconnect();
  });

  // What the API does: add to the set, then publish.
  const cancel = async (taskId: string) => {
    await redis.sadd(redisKeys(prefix).canceled, taskId);
    await redis.publish(redisKeys(prefix).cancel, taskId);
  };

  it('stops a running `RUN sleep 60` within seconds and leaves no working container', async () => {
    const repo = await makeRepo({
      Containerfile: 'FROM scratch\nCOPY busybox /bin/sh\nCOPY busybox /bin/sleep\nRUN echo sleeping && sleep 60\n',
      busybox: { copy: BUSYBOX },
    });
    const job = buildJob(PLATFORM, repo);
    await enqueue(queue, job);
    await waitFor('the RUN step to start', async () => (await readLog(redis, prefix, job.taskId)).some((l) => l.line === 'sleeping'));
    expect(agent.currentTasks()).toEqual([job.taskId]);
    // Stand-in for a working container a SIGKILLed buildah leaves behind (buildah's own cleanup
    // on SIGTERM removes the build's container; the agent must remove the rest too).
    const settings = { buildah: config.buildah, dataDir: config.dataDir, platform: PLATFORM, isolation: config.isolation };
    expect((await runBuildah(settings, [...storageArgs(settings), 'from', 'scratch'])).code).toBe(0);
    expect((await listContainers(settings)).length).toBeGreaterThanOrEqual(2);

    const t0 = Date.now();
    await cancel(job.taskId);
    const done = await waitForFinished(queue, job.taskId, 30_000);
    const elapsed = Date.now() - t0;
    expect(elapsed).toBeLessThan(5_000);
    expect(await done.getState()).toBe('failed');
    expect(done.failedReason).toBe('canceled');
    expect(done.attemptsMade).toBe(1);

    const events = await readEvents(redis, prefix, job.taskId);
    expect(events.at(-1)).toMatchObject({ type: 'task.canceled', attempt: 1 });
    expect(events.some((e) => e.type === 'task.failed' || e.type === 'task.built')).toBe(false);
    // Every phase that started was ended (the timeline has no dangling phase).
    const started = events.flatMap((e) => (e.type === 'phase.started' ? [e.name] : []));
    const ended = events.flatMap((e) => (e.type === 'phase.ended' ? [e.name] : []));
    expect(started).toContain('step 4/4: RUN echo sleeping && sleep 60');
    expect(new Set(ended)).toEqual(new Set(started));
    expect((await readLog(redis, prefix, job.taskId)).at(-1)).toMatchObject({ end: true });

    expect(await listContainers(settings)).toEqual([]);
    expect(await mountsUnder(config.dataDir)).toEqual([]);
    expect(agent.currentTasks()).toEqual([]);
  });

  it('stops a build at its time limit: final `timeout` failure naming the step, nothing left behind', async () => {
    const repo = await makeRepo({
      Containerfile: 'FROM scratch\nCOPY busybox /bin/sh\nCOPY busybox /bin/sleep\nRUN echo sleeping && sleep 60\n',
      busybox: { copy: BUSYBOX },
    });
    // The limit covers the whole attempt (clone, steps 1-3 too): long enough that step 4 is
    // reached first even on a loaded machine, far shorter than `sleep 60`.
    const LIMIT = 10_000;
    const job = buildJob(PLATFORM, repo, { timeoutMs: LIMIT });
    const t0 = Date.now();
    await enqueue(queue, job);
    const done = await waitForFinished(queue, job.taskId, 60_000);
    const elapsed = Date.now() - t0;
    expect(elapsed).toBeGreaterThanOrEqual(LIMIT);
    expect(elapsed).toBeLessThan(LIMIT + 10_000); // stopped at the limit, not after the sleep
    expect(await done.getState()).toBe('failed');
    expect(done.attemptsMade).toBe(1); // not retried: the same build would time out again
    const failed = (await readEvents(redis, prefix, job.taskId)).find((e) => e.type === 'task.failed');
    expect(failed).toMatchObject({ final: true, cause: 'timeout', step: 'step 4/4: RUN echo sleeping && sleep 60' });
    expect(failed?.type === 'task.failed' && failed.reason).toBe(
      'linux/amd64: the build exceeded its time limit of 10s during step 4/4: RUN echo sleeping && sleep 60 and was stopped',
    );
    const settings = { buildah: config.buildah, dataDir: config.dataDir, platform: PLATFORM, isolation: config.isolation };
    expect(await listContainers(settings)).toEqual([]);
    expect(await mountsUnder(config.dataDir)).toEqual([]);
    // Its work dir (checkout, temporary files, log) is gone.
    expect(await readdir(join(config.dataDir, 'work'))).toEqual([]);
  });

  it('does not start a task that was canceled while queued', async () => {
    const repo = await makeRepo({ Containerfile: 'FROM scratch\n' });
    const job = buildJob(PLATFORM, repo);
    await redis.sadd(redisKeys(prefix).canceled, job.taskId);
    await enqueue(queue, job);
    const done = await waitForFinished(queue, job.taskId);
    expect(done.failedReason).toBe('canceled');
    const events = await readEvents(redis, prefix, job.taskId);
    expect(events.map((e) => e.type)).toEqual(['task.canceled']);
  });
});
