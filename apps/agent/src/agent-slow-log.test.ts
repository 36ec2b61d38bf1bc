import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { objectKeys } from '@archway/contract';
import { FsObjectStore } from '@archway/runtime';
import { testPrefix, testRedis } from '../../../test/support/redis.ts';
import { slowRedis, type SlowRedis } from '../test/slow-redis.ts';
import { agentConfig, BUSYBOX, buildJob, buildQueue, enqueue, makeRepo, readEvents, readLog, waitForFinished, LINUX_AMD64 } from '../test/support.ts';
import { startAgent, type AgentHandle } from './agent.ts';
import { silentLogger } from './log.ts';

const PLATFORM = LINUX_AMD64;
const LINES = 100_000;

/**
 * buildah's chroot runtime relays RUN output through a buffer it drops when the RUN process exits:
 * an agent reading slower than the step writes (its log flushes wait for Redis) lost the end of it.
 * Here the agent's Redis answers every reply 10 ms late, so it reads far slower than buildah writes.
 */
describe('agent with a slow Redis: long RUN output arrives complete', () => {
  const prefix = testPrefix();
  let redis: Redis;
  let proxy: SlowRedis;
  let store: FsObjectStore;
  let agent: AgentHandle;
  let queue: Queue;

  beforeAll(async () => {
    redis = testRedis();
    proxy = await slowRedis(inject('redisUrl'), 10);
    const storeDir = await mkdtemp(join(inject('tmpRoot'), 'store-'));
    store = new FsObjectStore(storeDir);
    agent = await startAgent(await agentConfig(prefix, PLATFORM, storeDir, { REDIS_URL: proxy.url }), { log: silentLogger });
    queue = buildQueue(prefix, PLATFORM);
  });

  afterAll(async () => {
    await agent?.close();
    await queue?.close();
    await proxy?.close();
    redis?.disconnect();
  });

  const storedLog = async (buildId: string) => {
    const chunks: Buffer[] = [];
    for await (const c of await store.get(objectKeys.log(buildId, PLATFORM))) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8').split('\n');
  };

  it(`every one of ${LINES} RUN lines reaches the live log and the stored log once, in order`, { timeout: 240_000 }, async () => {
    const repo = await makeRepo({
      Containerfile: `FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "sh", "-c", "i=0; while [ $i -lt ${LINES} ]; do echo line $i; i=$((i+1)); done; echo done-marker"]\n`,
      busybox: { copy: BUSYBOX },
    });
    const job = buildJob(PLATFORM, repo);
    await enqueue(queue, job);
    const done = await waitForFinished(queue, job.taskId, 220_000);
    expect(done.failedReason).toBeUndefined();
    const expected = [...Array.from({ length: LINES }, (_, i) => `line ${i}`), 'done-marker'];
    const ours = (l: string | undefined): l is string => l !== undefined && (l.startsWith('line ') || l === 'done-marker');
    const live = (await readLog(redis, prefix, job.taskId)).map((e) => e.line).filter(ours);
    // Compared by count and edges first: a 100,000-line diff is no help when it fails.
    expect({ count: live.length, last: live.at(-1) }).toEqual({ count: expected.length, last: 'done-marker' });
    expect(live).toEqual(expected);
    const stored = (await storedLog(job.buildId)).filter(ours);
    expect({ count: stored.length, last: stored.at(-1) }).toEqual({ count: expected.length, last: 'done-marker' });
    expect(stored).toEqual(expected);
  });

  it('a failing RUN step keeps its own output, every time', async () => {
    for (let i = 0; i < 5; i++) {
      // A new commit each time: no layer cache, the RUN step really runs.
      const repo = await makeRepo({
        Containerfile: `FROM scratch\nCOPY busybox /bin/sh\nRUN echo about to fail ${i} && exit 3\n`,
        busybox: { copy: BUSYBOX },
      });
      const job = buildJob(PLATFORM, repo);
      await enqueue(queue, job);
      const done = await waitForFinished(queue, job.taskId);
      expect(done.failedReason).toBe(`${PLATFORM}: step 3/3 "RUN echo about to fail ${i} && exit 3" failed with exit code 3`);
      expect((await readEvents(redis, prefix, job.taskId)).find((e) => e.type === 'task.failed')).toMatchObject({ exitCode: 3 });
      expect((await readLog(redis, prefix, job.taskId)).map((e) => e.line)).toContain(`about to fail ${i}`);
      expect(await storedLog(job.buildId)).toContain(`about to fail ${i}`);
    }
  });
});
