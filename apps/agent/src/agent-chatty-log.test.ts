import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { objectKeys } from '@archway/contract';
import { redisKeys } from '@archway/contract';
import { FsObjectStore } from '@archway/runtime';
import { testPrefix, testRedis } from '../../../test/support/redis.ts';
import { agentConfig, BUSYBOX, buildJob, buildQueue, enqueue, makeRepo, readEvents, readLog, waitFor, waitForFinished, LINUX_AMD64 } from '../test/support.ts';
import { startAgent, type AgentHandle } from './agent.ts';
import { silentLogger } from './log.ts';

const PLATFORM = LINUX_AMD64;
/** 81 characters: 200 such lines are just over a file stream's 16 KiB buffer (the deadlock's trigger). */
const LINE = 'x'.repeat(81);
/** ≈ 102 MB of output. */
const LINES = 1_250_000;
const LIVE_LINES = 20_000;

const chattyRepo = (shell: string) =>
  makeRepo({
    Containerfile: `FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "sh", "-c", "${shell}"]\n`,
    busybox: { copy: BUSYBOX },
  });

/**
 * Builds that print far more than the log path buffers: the agent used to hang for good at about
 * line 400 of 81-character output (a missed 'drain' in the log sink), with cancel and the time
 * limit powerless. Real buildah, real Redis, the agent as it runs in production.
 */
describe('agent with chatty build output', () => {
  const prefix = testPrefix();
  let redis: Redis;
  let store: FsObjectStore;
  let agent: AgentHandle;
  let queue: Queue;

  beforeAll(async () => {
    redis = testRedis();
    const storeDir = await mkdtemp(join(inject('tmpRoot'), 'store-'));
    store = new FsObjectStore(storeDir);
    const config = await agentConfig(prefix, PLATFORM, storeDir, { ARCHWAY_AGENT_LIVE_LOG_MAX_LINES: String(LIVE_LINES) });
    agent = await startAgent(config, { log: silentLogger });
    queue = buildQueue(prefix, PLATFORM);
  });

  afterAll(async () => {
    await agent?.close();
    await queue?.close();
    redis?.disconnect();
  });

  /** Counts the stored log's lines of our output without holding 100 MB in memory. */
  const countStored = async (buildId: string) => {
    let ours = 0;
    let last = '';
    const lines = createInterface({ input: Readable.from(await store.get(objectKeys.log(buildId, PLATFORM))) });
    for await (const l of lines) {
      if (l === LINE) ours++;
      last = l;
    }
    return { ours, last };
  };

  it(`${LINES} lines of 81 characters (≈ 100 MB): built, every line stored, the live log bounded`, { timeout: 300_000 }, async () => {
    const repo = await chattyRepo(`/bin/busybox yes ${LINE} | /bin/busybox head -n ${LINES}`);
    const job = buildJob(PLATFORM, repo);
    await enqueue(queue, job);
    const done = await waitForFinished(queue, job.taskId, 280_000);
    expect(done.failedReason).toBeUndefined();
    expect(await done.getState()).toBe('completed');

    const stored = await countStored(job.buildId);
    expect(stored.ours).toBe(LINES);
    expect(stored.last).toMatch(/^archway: built sha256:/);

    const live = await readLog(redis, prefix, job.taskId);
    const stopAt = live.findIndex((e) => e.line?.startsWith('archway: the live log stops here'));
    expect(stopAt).toBeGreaterThan(0);
    // Nothing of the build's own output after the marker, the agent's lines still come through.
    expect(live.slice(stopAt + 1).filter((e) => e.line === LINE)).toEqual([]);
    expect(live.slice(stopAt + 1).some((e) => e.line?.startsWith('archway: built sha256:'))).toBe(true);
    expect(live.slice(0, stopAt).filter((e) => !e.line?.startsWith('archway: ')).length).toBe(LIVE_LINES);
    const bytes = await redis.memory('USAGE', redisKeys(prefix).log(job.taskId));
    expect(bytes).toBeLessThan(8 * 1024 ** 2);
    expect(agent.currentTasks()).toEqual([]);
  });

  it('cancel stops a build that never stops printing, within seconds', { timeout: 120_000 }, async () => {
    const repo = await chattyRepo(`/bin/busybox yes ${LINE}`);
    const job = buildJob(PLATFORM, repo);
    await enqueue(queue, job);
    await waitFor('the chatty step to fill the live log', async () => (await readLog(redis, prefix, job.taskId)).filter((e) => e.line === LINE).length > 1000);
    const t0 = Date.now();
    await redis.sadd(redisKeys(prefix).canceled, job.taskId);
    await redis.publish(redisKeys(prefix).cancel, job.taskId);
    const done = await waitForFinished(queue, job.taskId, 60_000);
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect(done.failedReason).toBe('canceled');
    expect((await readEvents(redis, prefix, job.taskId)).at(-1)).toMatchObject({ type: 'task.canceled' });
    expect(agent.currentTasks()).toEqual([]);
  });

  it('the time limit stops a build that never stops printing', { timeout: 120_000 }, async () => {
    const repo = await chattyRepo(`/bin/busybox yes ${LINE}`);
    const job = buildJob(PLATFORM, repo, { timeoutMs: 8_000 });
    const t0 = Date.now();
    await enqueue(queue, job);
    const done = await waitForFinished(queue, job.taskId, 90_000);
    expect(await done.getState()).toBe('failed');
    const failed = (await readEvents(redis, prefix, job.taskId)).find((e) => e.type === 'task.failed');
    expect(failed).toMatchObject({ final: true, cause: 'timeout' });
    // The gigabytes `yes` wrote before the stop are not read line by line afterwards.
    expect(Date.now() - t0).toBeLessThan(30_000);
    const agentLines = (await readLog(redis, prefix, job.taskId)).flatMap((e) => (e.line?.startsWith('archway: ') ? [e.line] : []));
    expect(
      agentLines.some((l) => / of output written before the stop were not read; its last 977 KiB follow$/.test(l)),
      agentLines.join('\n'),
    ).toBe(true);
    expect(agent.currentTasks()).toEqual([]);
  });
});
