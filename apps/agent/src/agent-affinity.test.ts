import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { BuildJob } from '@archway/contract';
import { testPrefix, testRedis } from '../../../test/support/redis.ts';
import { agentConfig, BUSYBOX, buildJob, buildQueue, enqueue, makeRepo, readEvents, readLog, waitFor, waitForFinished, LINUX_AMD64 } from '../test/support.ts';
import { repoHash } from './affinity.ts';
import { startAgent, type AgentHandle } from './agent.ts';
import { silentLogger } from './log.ts';

const PLATFORM = LINUX_AMD64;
const WAIT = '4s';

describe('warm-cache affinity between two agents of one platform', () => {
  const prefix = testPrefix();
  let redis: Redis;
  let queue: Queue;
  let storeDir: string;
  const agents = new Map<string, AgentHandle>();
  let repo: { url: string; commit: string };

  const start = async (id: string) => {
    const a = await startAgent(await agentConfig(prefix, PLATFORM, storeDir, { ARCHWAY_AGENT_ID: id, ARCHWAY_AGENT_AFFINITY_WAIT: WAIT }), {
      log: silentLogger,
    });
    agents.set(id, a);
    return a;
  };
  /** Builds one job; returns the agent that built it, how long it waited, and its steps' cache hits. */
  const build = async (job: BuildJob = buildJob(PLATFORM, repo)) => {
    const queued = Date.now();
    await enqueue(queue, job);
    const done = await waitForFinished(queue, job.taskId);
    expect(done.failedReason).toBeUndefined();
    const events = await readEvents(redis, prefix, job.taskId);
    const started = events.find((e) => e.type === 'task.started');
    return {
      agent: started?.type === 'task.started' ? started.agent : undefined,
      waitedMs: Date.parse(started!.at) - queued,
      cached: events.flatMap((e) => (e.type === 'phase.ended' && e.name.startsWith('step ') ? [e.cached] : [])),
    };
  };

  beforeAll(async () => {
    redis = testRedis();
    queue = buildQueue(prefix, PLATFORM);
    storeDir = await mkdtemp(join(inject('tmpRoot'), 'store-'));
    repo = await makeRepo({ Containerfile: 'FROM scratch\nCOPY busybox /bin/sh\nRUN echo warm > /warm\n', busybox: { copy: BUSYBOX } });
    await start('aff-a');
    await start('aff-b');
  });

  afterAll(async () => {
    await Promise.all([...agents.values()].map((a) => a.close()));
    await queue?.close();
    redis?.disconnect();
  });

  it('rebuilds of a repository go to the agent that built it last, warm', async () => {
    const first = await build();
    expect(first.cached).toEqual([true, false, false]);
    for (let i = 0; i < 4; i++) {
      const again = await build();
      expect(again.agent).toBe(first.agent);
      expect(again.cached).toEqual([true, true, true]); // every layer reused
    }
  });

  it('falls back to the other agent after the short wait when the preferred one is busy', async () => {
    const preferred = (await redis.get(`${prefix}:affinity:build-linux-amd64:${repoHash(repo.url)}`))!;
    expect(agents.has(preferred)).toBe(true);
    const other = preferred === 'aff-a' ? 'aff-b' : 'aff-a';
    // Keep the preferred agent busy with another repository (the other agent must not take that one).
    const slow = await makeRepo({
      Containerfile: 'FROM scratch\nCOPY busybox /bin/sh\nCOPY busybox /bin/sleep\nRUN echo slow && sleep 10\n',
      busybox: { copy: BUSYBOX },
    });
    const slowJob = buildJob(PLATFORM, slow);
    await agents.get(other)!.close(); // (a paused worker may still be blocked in its fetch and take the job)
    await enqueue(queue, slowJob);
    await waitFor('the slow build on the preferred agent', async () => (await readLog(redis, prefix, slowJob.taskId)).some((l) => l.line === 'slow'));
    await start(other);

    const fallback = await build();
    expect(fallback.agent).toBe(other);
    expect(fallback.waitedMs).toBeGreaterThanOrEqual(3000); // it did wait for the warm agent…
    expect(fallback.waitedMs).toBeLessThan(8000); // …but only briefly
    await waitForFinished(queue, slowJob.taskId);
  });

  it('does not wait at all for a preferred agent that is gone', async () => {
    const preferred = (await redis.get(`${prefix}:affinity:build-linux-amd64:${repoHash(repo.url)}`))!;
    await agents.get(preferred)!.close();
    agents.delete(preferred);
    const next = await build();
    expect(next.agent).not.toBe(preferred);
    expect(next.waitedMs).toBeLessThan(2000);
  });
});
