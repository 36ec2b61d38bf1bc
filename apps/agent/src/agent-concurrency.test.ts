import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { AgentInfo } from '@archway/contract';
import { redisKeys } from '@archway/contract';
import { testPrefix, testRedis } from '../../../test/support/redis.ts';
import { agentConfig, BUSYBOX, buildJob, buildQueue, enqueue, makeRepo, readEvents, readLog, waitFor, waitForFinished, LINUX_AMD64 } from '../test/support.ts';
import { startAgent, type AgentHandle } from './agent.ts';
import type { AgentConfig } from './env.ts';
import { silentLogger } from './log.ts';
import { listContainers } from './task/buildah.ts';

const PLATFORM = LINUX_AMD64;

describe('two builds at once on one agent (ARCHWAY_AGENT_CONCURRENCY=2)', () => {
  const prefix = testPrefix();
  let redis: Redis;
  let queue: Queue;
  let agent: AgentHandle;
  let config: AgentConfig;

  beforeAll(async () => {
    redis = testRedis();
    queue = buildQueue(prefix, PLATFORM);
    const storeDir = await mkdtemp(join(inject('tmpRoot'), 'store-'));
    config = await agentConfig(prefix, PLATFORM, storeDir, { ARCHWAY_AGENT_CONCURRENCY: '2' });
    agent = await startAgent(config, { log: silentLogger });
  });

  afterAll(async () => {
    await agent?.close();
    await queue?.close();
    redis?.disconnect();
  });

  it('runs both in their own work dirs; canceling one leaves the other intact', async () => {
    const make = (word: string) =>
      makeRepo({
        Containerfile: `FROM scratch\nCOPY busybox /bin/sh\nCOPY busybox /bin/sleep\nRUN echo ${word} && sleep 3 && echo ${word} > /${word}\n`,
        busybox: { copy: BUSYBOX },
      });
    const keep = buildJob(PLATFORM, await make('keep'));
    const drop = buildJob(PLATFORM, await make('drop'));
    await enqueue(queue, keep);
    await enqueue(queue, drop);
    for (const [job, word] of [
      [keep, 'keep'],
      [drop, 'drop'],
    ] as const) {
      await waitFor(`${word} running`, async () => (await readLog(redis, prefix, job.taskId)).some((l) => l.line === word));
    }
    const info = AgentInfo.parse(JSON.parse((await redis.get(redisKeys(prefix).agent(agent.id)))!));
    expect(info).toMatchObject({ state: 'busy', concurrency: 2 });
    expect(new Set(info.currentTasks)).toEqual(new Set([keep.taskId, drop.taskId]));

    await redis.sadd(redisKeys(prefix).canceled, drop.taskId);
    await redis.publish(redisKeys(prefix).cancel, drop.taskId);
    expect((await waitForFinished(queue, drop.taskId)).failedReason).toBe('canceled');
    const kept = await waitForFinished(queue, keep.taskId);
    expect(kept.failedReason).toBeUndefined();
    expect((await readEvents(redis, prefix, keep.taskId)).at(-1)?.type).toBe('task.built');
    // The canceled build's working container is removed once the agent is idle.
    const settings = { buildah: config.buildah, dataDir: config.dataDir, platform: PLATFORM, isolation: config.isolation };
    await waitFor('no working container left', async () => (await listContainers(settings)).length === 0, 10_000);
  });
});
