import { createWriteStream } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { AgentInfo, BuildResult, objectKeys } from '@archway/contract';
import { redisKeys } from '@archway/contract';
import { FsObjectStore } from '@archway/runtime';
import { testPrefix, testRedis } from '../../../test/support/redis.ts';
import { agentConfig, BUSYBOX, buildJob, buildQueue, enqueue, makeRepo, readEvents, readLog, waitFor, waitForFinished } from '../test/support.ts';
import { startAgent, type AgentHandle } from './agent.ts';
import { silentLogger } from './log.ts';
import { readArchiveImage } from './task/oci-archive.ts';

const CONTAINERFILE = `FROM scratch
COPY busybox /bin/busybox
COPY busybox /bin/sh
ARG GREETING=hello
RUN echo "$GREETING from the build" > /greeting.txt && echo "ran step"
`;

describe('agent end to end (real redis, git, buildah, fs object store)', () => {
  const prefix = testPrefix();
  let redis: Redis;
  let storeDir: string;
  let store: FsObjectStore;
  const agents: AgentHandle[] = [];
  const queues: Record<string, Queue> = {};
  let repo: Awaited<ReturnType<typeof makeRepo>>;

  beforeAll(async () => {
    redis = testRedis();
    storeDir = await mkdtemp(join(inject('tmpRoot'), 'store-'));
    store = new FsObjectStore(storeDir);
    repo = await makeRepo({ Containerfile: CONTAINERFILE, busybox: { copy: BUSYBOX } });
    for (const platform of ['linux/amd64', 'linux/arm64']) {
      agents.push(await startAgent(await agentConfig(prefix, platform, storeDir), { log: silentLogger }));
      queues[platform] = buildQueue(prefix, platform);
    }
  });

  afterAll(async () => {
    await Promise.all(agents.map((a) => a.close()));
    await Promise.all(Object.values(queues).map((q) => q.close()));
    redis?.disconnect();
  });

  it('publishes a heartbeat per agent', async () => {
    for (const a of agents) {
      const raw = await redis.get(redisKeys(prefix).agent(a.id));
      const info = AgentInfo.parse(JSON.parse(raw!));
      expect(info).toMatchObject({ id: a.id, platform: a.platform, state: 'idle', concurrency: 1, currentTasks: [] });
      expect(info.freeDiskBytes).toBeGreaterThan(0);
      expect(await redis.ttl(redisKeys(prefix).agent(a.id))).toBeGreaterThan(5);
    }
  });

  it.each(['linux/amd64', 'linux/arm64'])('builds %s: archive in the store, events and log streamed', async (platform) => {
    const job = buildJob(platform, repo, { buildArgs: { GREETING: 'hi' } });
    await enqueue(queues[platform]!, job);
    const done = await waitForFinished(queues[platform]!, job.taskId);
    expect(done.failedReason).toBeUndefined();
    const result = BuildResult.parse(done.returnvalue);
    expect(result).toMatchObject({ taskId: job.taskId, platform, archiveKey: objectKeys.archive(job.buildId, job.platform) });
    expect(result.manifestDigest).toMatch(/^sha256:[0-9a-f]{64}$/);

    // The archive is in the store, whole, and its config is for the task's platform.
    const head = await store.head(result.archiveKey);
    expect(head?.size).toBe(result.archiveSize);
    const local = join(await mkdtemp(join(inject('tmpRoot'), 'dl-')), 'image.tar');
    await pipeline(await store.get(result.archiveKey), createWriteStream(local));
    const image = await readArchiveImage(local);
    expect(image.platform).toEqual({ os: 'linux', architecture: platform.split('/')[1] });
    expect(image.manifestDigest).toBe(result.manifestDigest);
    // What the merger checks the archive against (without it, it falls back to hashing it whole).
    expect(result.archiveLayoutDigest).toBe(image.layoutDigest);

    const events = await readEvents(redis, prefix, job.taskId);
    const types = events.map((e) => e.type);
    expect(types[0]).toBe('task.started');
    expect(types.at(-1)).toBe('task.built');
    expect(events[0]).toMatchObject({ agent: `test-${platform.replace('/', '-')}`, attempt: 1, buildId: job.buildId });
    const started = events.flatMap((e) => (e.type === 'phase.started' ? [`${e.kind}:${e.name}`] : []));
    expect(started).toEqual([
      'clone:clone',
      'build:build',
      'step:step 1/5: FROM scratch',
      'step:step 2/5: COPY busybox /bin/busybox',
      'step:step 3/5: COPY busybox /bin/sh',
      'step:step 4/5: ARG GREETING=hello',
      'step:step 5/5: RUN echo "$GREETING from the build" > /greeting.txt && echo "ran step"',
      'export:export',
      'upload:upload',
    ]);
    const ended = events.flatMap((e) => (e.type === 'phase.ended' ? [e.name] : []));
    expect(new Set(ended)).toEqual(new Set(started.map((s) => s.slice(s.indexOf(':') + 1))));
    const steps = events.flatMap((e) => (e.type === 'phase.started' && e.kind === 'step' ? [e.step] : []));
    expect(steps).toEqual([1, 2, 3, 4, 5]);
    const built = events.at(-1);
    expect(built?.type === 'task.built' && built.result).toEqual(result);

    const log = await readLog(redis, prefix, job.taskId);
    const lines = log.flatMap((l) => (l.line === undefined ? [] : [l.line]));
    expect(lines).toContain('STEP 1/5: FROM scratch');
    expect(lines).toContain('STEP 5/5: RUN echo "$GREETING from the build" > /greeting.txt && echo "ran step"');
    expect(lines).toContain('ran step');
    expect(log.at(-1)).toMatchObject({ end: true, attempt: 1 });

    // The full log went to the object store too.
    const stored = await store.head(objectKeys.log(job.buildId, job.platform));
    expect(stored?.size).toBeGreaterThan(100);
  });

  it('reuses the layer cache on a second build of the same commit: every step a cache hit', async () => {
    const platform = 'linux/amd64';
    const job = buildJob(platform, repo, { buildArgs: { GREETING: 'hi' } });
    await enqueue(queues[platform]!, job);
    const done = await waitForFinished(queues[platform]!, job.taskId);
    expect(done.failedReason).toBeUndefined();
    const events = await readEvents(redis, prefix, job.taskId);
    // The heartbeat reports the layer cache's size once the agent is idle again.
    const agent = agents[0]!;
    await waitFor('the cache size in the heartbeat', async () => {
      const info = AgentInfo.parse(JSON.parse((await redis.get(redisKeys(prefix).agent(agent.id)))!));
      return info.state === 'idle' && (info.cacheBytes ?? 0) > 1_000_000; // busybox is ~1 MB
    });
    const cached = events.flatMap((e) => (e.type === 'phase.ended' && e.name.startsWith('step ') ? [[e.name.slice(0, 8), e.cached]] : []));
    // An unchanged rebuild is a cache hit at every step (FROM pulled nothing).
    expect(cached).toEqual([
      ['step 1/5', true],
      ['step 2/5', true],
      ['step 3/5', true],
      ['step 4/5', true],
      ['step 5/5', true],
    ]);
  });

  it('streams a chatty step completely and in order (live log and stored log)', async () => {
    const platform = 'linux/amd64';
    const chatty = await makeRepo({
      Containerfile: 'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "seq", "1", "30000"]\n',
      busybox: { copy: BUSYBOX },
    });
    const job = buildJob(platform, chatty);
    await enqueue(queues[platform]!, job);
    const done = await waitForFinished(queues[platform]!, job.taskId);
    expect(done.failedReason).toBeUndefined();
    const expected = Array.from({ length: 30000 }, (_, i) => String(i + 1));
    const live = (await readLog(redis, prefix, job.taskId)).flatMap((l) => (l.line !== undefined && /^\d+$/.test(l.line) ? [l.line] : []));
    expect(live).toEqual(expected);
    const chunks: Buffer[] = [];
    for await (const c of await store.get(objectKeys.log(job.buildId, job.platform))) chunks.push(c as Buffer);
    const stored = Buffer.concat(chunks)
      .toString('utf8')
      .split('\n')
      .filter((l) => /^\d+$/.test(l));
    expect(stored).toEqual(expected);
  });
});
