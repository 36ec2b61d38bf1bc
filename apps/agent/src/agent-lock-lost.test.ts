import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import { buildQueueName } from '@archway/contract';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { testPrefix, testRedis } from '../../../test/support/redis.ts';
import { agentConfig, BUSYBOX, buildJob, buildQueue, enqueue, makeRepo, readEvents, readLog, waitFor, waitForFinished, LINUX_AMD64 } from '../test/support.ts';
import { startAgent, type AgentHandle } from './agent.ts';
import { silentLogger } from './log.ts';

const PLATFORM = LINUX_AMD64;

describe('an agent that loses the job lock mid-build (Redis out of reach longer than the lock)', () => {
  const prefix = testPrefix();
  let redis: Redis;
  let queue: Queue;
  let agent: AgentHandle | undefined;

  beforeAll(async () => {
    redis = testRedis();
    queue = buildQueue(prefix, PLATFORM);
  });
  afterAll(async () => {
    await agent?.close();
    await queue?.close();
    redis?.disconnect();
  });

  it('does not report its stale attempt built: only the attempt that took over does', async () => {
    const storeDir = await mkdtemp(join(inject('tmpRoot'), 'store-'));
    agent = await startAgent(await agentConfig(prefix, PLATFORM, storeDir, { ARCHWAY_AGENT_LOCK_DURATION: '4s', ARCHWAY_AGENT_ID: 'agent-a' }), {
      log: silentLogger,
    });
    const repo = await makeRepo({
      Containerfile: 'FROM scratch\nCOPY busybox /bin/sh\nCOPY busybox /bin/sleep\nRUN echo working && sleep 3 && echo done\n',
      busybox: { copy: BUSYBOX },
    });
    const job = buildJob(PLATFORM, repo);
    await enqueue(queue, job);
    await waitFor('attempt 1 to run the RUN step', async () => (await readLog(redis, prefix, job.taskId)).some((l) => l.line === 'working'), 60_000);
    // What an expired lock looks like once Redis is back: gone, so the stalled-job check requeues the job.
    expect(await redis.del(`${prefix}:${buildQueueName(PLATFORM)}:${job.taskId}:lock`)).toBe(1);

    const done = await waitForFinished(queue, job.taskId, 90_000);
    expect(await done.getState()).toBe('completed');
    const events = await readEvents(redis, prefix, job.taskId);
    const outcome = events.filter((e) => ['task.started', 'task.failed', 'task.built'].includes(e.type));
    expect(outcome.map((e) => [e.type, 'attempt' in e ? e.attempt : undefined])).toEqual([
      ['task.started', 1],
      ['task.failed', 1],
      ['task.started', 2],
      ['task.built', 2],
    ]);
    expect(outcome[1]).toMatchObject({ cause: 'agent-lost', final: false });
    const built = (outcome[3] as Extract<(typeof outcome)[number], { type: 'task.built' }>).result;
    expect(done.returnvalue).toEqual(built);
    // The stale attempt stopped before its upload: the stored archive is the one attempt 2 reported.
    const stored = createHash('sha256')
      .update(await readFile(join(storeDir, ...built.archiveKey.split('/'))))
      .digest('hex');
    expect(`sha256:${stored}`).toBe(built.archiveDigest);
    // So is its SBOM: a stale attempt stops its SBOM and waits for it before it ends.
    const sbom = createHash('sha256')
      .update(await readFile(join(storeDir, ...built.supply!.sbomKey.split('/'))))
      .digest('hex');
    expect(`sha256:${sbom}`).toBe(built.supply!.sbomDigest);
  });
});
