import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { AgentInfo } from '@archway/contract';
import { redisKeys } from '@archway/contract';
import { testPrefix, testRedis } from '../../../test/support/redis.ts';
import { agentConfig, BUSYBOX, buildJob, buildQueue, enqueue, makeRepo, readEvents, waitFor, waitForFinished, LINUX_AMD64 } from '../test/support.ts';
import { startAgent, type AgentHandle } from './agent.ts';
import { diskSpace } from './disk/space.ts';
import { readStorageIndex } from './disk/storage-index.ts';
import type { AgentConfig } from './env.ts';
import { createLogger } from './log.ts';
import { listContainers, storageDirs } from './task/buildah.ts';

const PLATFORM = LINUX_AMD64;
const MB = 1e6;
const NEED = 28 * MB;

/**
 * The agent's data dir on a 96 MB tmpfs of its own: free space is real and small, so GC,
 * the start check and the stop watermark act on what statfs says.
 */
describe('disk: GC, start check and stop watermark on a small filesystem', () => {
  const prefix = testPrefix();
  let redis: Redis;
  let queue: Queue;
  let mnt = '';
  let config: AgentConfig;
  let agent: AgentHandle;
  const logLines: string[] = [];

  /** Fills the filesystem until `free` bytes are left (one file per call, replaced). */
  const fillTo = async (name: string, free: number) => {
    const path = join(mnt, name);
    await rm(path, { force: true });
    const now = (await diskSpace(mnt)).free;
    if (now > free) await writeFile(path, Buffer.alloc(now - free));
    return path;
  };
  /** A repository whose image has one ~4 MB layer of its own. */
  const blobRepo = () =>
    makeRepo({
      Containerfile: 'FROM scratch\nCOPY blob /blob\n',
      blob: randomBytes(4 * 1024 * 1024)
        .toString('base64')
        .slice(0, 4 * MB),
    });

  beforeAll(async () => {
    redis = testRedis();
    queue = buildQueue(prefix, PLATFORM);
    mnt = await mkdtemp(join(inject('tmpRoot'), 'small-disk-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=96m', 'tmpfs', mnt]);
    await mkdir(join(mnt, 'agent'));
    const storeDir = await mkdtemp(join(inject('tmpRoot'), 'store-'));
    config = await agentConfig(prefix, PLATFORM, storeDir, {
      ARCHWAY_AGENT_DATA_DIR: join(mnt, 'agent'),
      ARCHWAY_AGENT_MIN_FREE_SPACE: `${NEED}`,
      ARCHWAY_AGENT_STOP_FREE_SPACE: '8MB',
      ARCHWAY_AGENT_GC_RESERVED_SPACE: '0',
      ARCHWAY_AGENT_GC_MAX_USED_SPACE: '100%',
      ARCHWAY_AGENT_GC_MIN_FREE_SPACE: '0',
      ARCHWAY_AGENT_GC_KEEP_DURATION: '0',
      ARCHWAY_AGENT_GC_INTERVAL: '0',
      ARCHWAY_AGENT_AFFINITY_WAIT: '0',
    });
    agent = await startAgent(config, { log: createLogger((l) => logLines.push(l)), diskRecheckMs: 300 });
  });

  afterAll(async () => {
    await agent?.close();
    await queue?.close();
    redis?.disconnect();
    if (mnt) execFileSync('umount', [mnt]);
  });

  it('GC removes the least recently used build so the next one fits, and logs what it removed', async () => {
    const a = buildJob(PLATFORM, await blobRepo());
    await enqueue(queue, a);
    expect((await waitForFinished(queue, a.taskId)).failedReason).toBeUndefined();
    const root = storageDirs(config).root;
    const imagesOfA = (await readStorageIndex(root)).images.map((i) => i.id);
    expect(imagesOfA.length).toBeGreaterThan(0);

    // Short by 2 MB: only removing A's ~4 MB layer makes room.
    await fillTo('filler-1', NEED - 2 * MB);
    const b = buildJob(PLATFORM, await blobRepo());
    await enqueue(queue, b);
    const done = await waitForFinished(queue, b.taskId);
    expect(done.failedReason).toBeUndefined();

    const left = new Set((await readStorageIndex(root)).images.map((i) => i.id));
    for (const id of imagesOfA) expect(left.has(id)).toBe(false);
    const records = logLines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const removed = records.filter((r) => r.msg === 'gc.removed');
    expect(removed.some((r) => r.image === imagesOfA[0]!.slice(0, 12) && r.reason === 'min-free')).toBe(true);
    expect(records.some((r) => r.msg === 'gc.done' && r.trigger === 'before-task' && Number(r.removed) >= 1)).toBe(true);
    expect((await readEvents(redis, prefix, b.taskId)).map((e) => e.type)).toContain('task.built');
  });

  it('gives the task back (`out of disk`) when nothing more can be freed, and takes work again once space returns', async () => {
    // Removing everything (B's ~4 MB) still leaves it 6 MB short.
    await rm(join(mnt, 'filler-1'));
    const filler = await fillTo('filler-2', NEED - 10 * MB);
    const c = buildJob(PLATFORM, await blobRepo());
    await enqueue(queue, c);

    const requeued = await waitFor('the task to be given back', async () =>
      (await readEvents(redis, prefix, c.taskId)).find((e) => e.type === 'task.requeued'),
    );
    expect(requeued).toMatchObject({ attempt: 1, agent: config.agentId, cause: 'out-of-disk' });
    expect(requeued.type === 'task.requeued' && requeued.reason, logLines.join('\n')).toMatch(
      new RegExp(
        `^out of disk on ${config.agentId}: [\\d.]+ MiB free on ${config.dataDir}, a build needs 27 MiB \\(ARCHWAY_AGENT_MIN_FREE_SPACE\\); GC freed [\\d.]+ (B|KiB|MiB) and nothing more can go$`,
      ),
    );
    // Back in the queue (the event goes out just before the job is moved), for any agent to take.
    await waitFor('the job back in wait', async () => (await (await queue.getJob(c.taskId))!.getState()) === 'waiting');
    const info = await waitFor('the problem in the heartbeat', async () => {
      const i = AgentInfo.parse(JSON.parse((await redis.get(redisKeys(prefix).agent(config.agentId)))!));
      return i.problem ? i : undefined;
    });
    expect(info.problem).toMatch(/^out of disk on /);
    expect((await readEvents(redis, prefix, c.taskId)).some((e) => e.type === 'task.started')).toBe(false); // never started

    await rm(filler);
    const done = await waitForFinished(queue, c.taskId);
    expect(done.failedReason).toBeUndefined();
    expect(done.attemptsMade).toBe(1); // giving it back used no attempt
    const events = (await readEvents(redis, prefix, c.taskId)).filter((e) => e.type.startsWith('task.'));
    expect(events.map((e) => [e.type, 'attempt' in e ? e.attempt : 0])).toEqual([
      ['task.requeued', 1],
      ['task.started', 2],
      ['task.built', 2],
    ]);
    await waitFor(
      'the problem to clear',
      async () => AgentInfo.parse(JSON.parse((await redis.get(redisKeys(prefix).agent(config.agentId)))!)).problem === null,
    );
  });

  it('stops a running build before the filesystem is full, saying why', async () => {
    await rm(join(mnt, 'filler-2'), { force: true }); // (left behind if the previous test failed)
    await waitFor(
      'the agent to take work',
      async () => AgentInfo.parse(JSON.parse((await redis.get(redisKeys(prefix).agent(config.agentId)))!)).problem === null,
    );
    await fillTo('filler-3', NEED + 2 * MB);
    const repo = await makeRepo({
      // Writes 1 MB every 0.5 s: the watermark (8 MB free) is crossed long before ENOSPC.
      Containerfile:
        'FROM scratch\nCOPY busybox /bin/busybox\nCOPY busybox /bin/sh\n' +
        'RUN i=0; while [ $i -lt 60 ]; do busybox dd if=/dev/zero of=/f$i bs=1M count=1 2>/dev/null; busybox sleep 0.5; i=$((i+1)); done\n',
      busybox: { copy: BUSYBOX },
    });
    const job = buildJob(PLATFORM, repo);
    await queue.add('build', job, { jobId: job.taskId, attempts: 1 });
    const done = await waitForFinished(queue, job.taskId);
    expect(await done.getState()).toBe('failed');
    const failed = (await readEvents(redis, prefix, job.taskId)).find((e) => e.type === 'task.failed');
    expect(failed).toMatchObject({ cause: 'out-of-disk', final: true });
    expect(failed?.type === 'task.failed' && failed.reason).toMatch(
      new RegExp(
        `^linux/amd64: out of disk on ${config.agentId}: free space on ${config.dataDir} fell to [\\d.]+ MiB, below ARCHWAY_AGENT_STOP_FREE_SPACE \\(7\\.6 MiB\\); the build was stopped during step 4/4: RUN i=0`,
      ),
    );
    // The stopped build's files went with its working container: the space is back.
    expect(await listContainers(config)).toEqual([]);
    expect((await diskSpace(mnt)).free).toBeGreaterThan(20 * MB);
    await rm(join(mnt, 'filler-3'));
  });
});
