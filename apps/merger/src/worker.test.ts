import type {} from '../../../test/global-setup.ts';
import { randomUUID } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { buildQueueName, BuildEvent, JOB_CATALOG, PUBLISH_QUEUE, type BuildJob, type BuildResult, type Platform, type PublishJob } from '@archway/contract';
import { redisKeys } from '@archway/contract';
import { FsObjectStore } from '@archway/runtime';
import { FlowProducer, Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { testPrefix, testRedis } from '../../../test/support/redis.ts';
import { freePort } from '@archway/runtime';
import type { MergerConfig } from './env.ts';
import { OCI_INDEX } from './oci.ts';
import { resultFor, writeTestArchive } from './test-support/oci-archive.ts';
import { skopeoDigest, skopeoRaw, skopeoTagExists } from './test-support/tools.ts';
import { startFlakyProxy, type FlakyProxy } from './registry/test-support/flaky-proxy.ts';
import { startMerger, type MergerHandle } from './worker.ts';
import { AMD64, ARM64 } from './test-support/platforms.ts';

const PLATFORMS = [AMD64, ARM64];
let prefix: string;
let host: string;
let deadHost: string;
/** A proxy in front of the registry, to hold a chosen request. */
let proxy: FlakyProxy;
let store: FsObjectStore;
let redis: Redis;
let merger: MergerHandle;
let flows: FlowProducer;
let agents: Worker[];
/** What the stand-in agents return per task id. */
const results = new Map<string, BuildResult>();

beforeAll(async () => {
  prefix = testPrefix();
  host = inject('registryHost');
  deadHost = `127.0.0.1:${await freePort()}`;
  proxy = await startFlakyProxy(host);
  const dir = await mkdtemp(join(inject('tmpRoot'), 'merger-worker-'));
  store = new FsObjectStore(dir);
  redis = testRedis();
  const config: MergerConfig = {
    redisUrl: inject('redisUrl'),
    prefix,
    objectStore: dir,
    registry: { authFile: null, insecureRegistries: [host, deadHost, proxy.host], retries: 0, retryBaseMs: 5 },
    concurrency: 1,
    platformConcurrency: 2,
    earlyPushes: 2,
    blobConcurrency: 4,
  };
  merger = await startMerger(config, { log: () => {} });
  flows = new FlowProducer({ connection: testRedis({ worker: true }), prefix });
  // Stand-ins for agents: complete each platform's task with the BuildResult prepared for it.
  agents = PLATFORMS.map(
    (p) => new Worker(buildQueueName(p), async (job) => results.get((job.data as BuildJob).taskId)!, { connection: testRedis({ worker: true }), prefix }),
  );
});

afterAll(async () => {
  await Promise.all(agents.map((a) => a.close()));
  await flows.close();
  await merger.close();
  await proxy.close();
  redis.disconnect();
});

/** Adds a build flow the way the API does; the publish job may override attempts/backoff. */
async function addBuild(
  publish: Omit<PublishJob, 'buildId' | 'platforms'>,
  make: (platform: Platform, taskId: string, buildId: string) => Promise<BuildResult>,
  opts: { attempts: number; backoff: number } = { attempts: JOB_CATALOG.publish.attempts, backoff: JOB_CATALOG.publish.backoffMs },
) {
  const buildId = randomUUID();
  const children = [];
  for (const platform of PLATFORMS) {
    const taskId = randomUUID();
    results.set(taskId, await make(platform, taskId, buildId));
    const data: BuildJob = { buildId, taskId, platform, source: { url: 'x', ref: 'main', commit: 'abc1234' }, context: '.', buildArgs: {} };
    children.push({ name: 'build', queueName: buildQueueName(platform), data, opts: { jobId: taskId, failParentOnFailure: true } });
  }
  const data: PublishJob = { ...publish, buildId, platforms: PLATFORMS };
  await flows.add({
    name: 'publish',
    queueName: PUBLISH_QUEUE,
    data,
    opts: { jobId: buildId, attempts: opts.attempts, backoff: { type: 'fixed', delay: opts.backoff } },
    children,
  });
  return buildId;
}

/** The build's events, once one of them is final. */
async function eventsUntilDone(buildId: string): Promise<BuildEvent[]> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const entries = await redis.xrange(redisKeys(prefix).events, '-', '+');
    const events = entries.map(([, fields]) => BuildEvent.parse(JSON.parse(fields[1]!))).filter((e) => e.buildId === buildId);
    if (events.some((e) => e.type === 'build.succeeded' || e.type === 'build.failed')) return events;
    if (Date.now() > deadline) throw new Error(`no final event for ${buildId}: ${JSON.stringify(events)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The publish job once BullMQ has settled it (the final event is emitted just before). */
async function publishJob(buildId: string) {
  const queue = new Queue(PUBLISH_QUEUE, { connection: redis, prefix });
  const deadline = Date.now() + 30_000;
  try {
    for (;;) {
      const state = await queue.getJobState(buildId);
      // Read the job only once it is final: a copy read before could predate its last attempt.
      if (state === 'failed' || state === 'completed') return { attemptsMade: (await queue.getJob(buildId))!.attemptsMade, state };
      if (Date.now() > deadline) throw new Error(`publish job ${buildId} still ${state}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    await queue.close();
  }
}

const archiveFor = (repo: string, arch?: string) => async (platform: Platform, taskId: string) => {
  const [os, architecture] = (arch ?? platform).split('/') as [string, string];
  const archive = await writeTestArchive(store, `archives/${repo}/${taskId}.tar`, { platform: { os, architecture } });
  return resultFor(archive, platform, taskId);
};

describe('merger worker', () => {
  it('publishes a flow once both tasks are built and reports build.publishing then build.succeeded', async () => {
    const buildId = await addBuild({ image: `${host}/flow/app`, tags: ['1', 'latest'], push: true }, archiveFor('ok'));
    const events = await eventsUntilDone(buildId);
    const types = events.map((e) => e.type);
    expect(types[0]).toBe('build.publishing');
    expect(types.at(-1)).toBe('build.succeeded');
    expect(types.filter((t) => t === 'build.failed')).toHaveLength(0);
    const phases = events.filter((e) => e.type === 'phase.started').map((e) => [e.name, e.kind, e.taskId]);
    expect(phases).toEqual(
      expect.arrayContaining([
        ['publish', 'publish', null],
        ['push linux/amd64', 'push', null],
        ['push linux/arm64', 'push', null],
        ['index', 'merge', null],
      ]),
    );
    expect(events.filter((e) => e.type === 'phase.ended')).toHaveLength(phases.length);

    const succeeded = events.at(-1) as Extract<BuildEvent, { type: 'build.succeeded' }>;
    expect(succeeded.indexDigest).toBe(await skopeoDigest(`${host}/flow/app:latest`));
    const index = await skopeoRaw(`${host}/flow/app:1`);
    expect(index.manifests.map((m: any) => m.platform.architecture)).toEqual(['amd64', 'arm64']);
  });

  it("publishes a publish job queued again without children from the results it carries (the API reconciler's repair)", async () => {
    const buildId = randomUUID();
    const make = archiveFor('requeued');
    const carried = await Promise.all(PLATFORMS.map((p) => make(p, randomUUID())));
    const queue = new Queue(PUBLISH_QUEUE, { connection: redis, prefix });
    try {
      const data: PublishJob = { buildId, image: `${host}/flow/requeued`, tags: ['2'], push: true, platforms: PLATFORMS, results: carried };
      await queue.add('publish', data, { jobId: buildId });
    } finally {
      await queue.close();
    }
    const events = await eventsUntilDone(buildId);
    expect(events.at(-1)!.type).toBe('build.succeeded');
    const index = await skopeoRaw(`${host}/flow/requeued:2`);
    expect(index.manifests.map((m: any) => m.platform.architecture)).toEqual(['amd64', 'arm64']);
  });

  it('fails for good, without retrying, when an archive holds the wrong platform', async () => {
    const buildId = await addBuild({ image: `${host}/flow/wrong`, tags: ['latest'], push: true }, archiveFor('wrong', AMD64));
    const events = await eventsUntilDone(buildId);
    expect(events.filter((e) => e.type === 'build.failed')).toEqual([
      expect.objectContaining({ reason: 'archive for linux/arm64 contains an image for linux/amd64' }),
    ]);
    const job = await publishJob(buildId);
    expect(job.attemptsMade).toBe(1);
    expect(job.state).toBe('failed');
    expect(await skopeoTagExists(`${host}/flow/wrong:latest`)).toBe(false);
  });

  it('retries an unreachable registry and reports the failure once, on the last attempt', async () => {
    const buildId = await addBuild({ image: `${deadHost}/flow/app`, tags: ['latest'], push: true }, archiveFor('dead'), { attempts: 2, backoff: 10 });
    const events = await eventsUntilDone(buildId);
    const failed = events.filter((e) => e.type === 'build.failed');
    expect(failed).toHaveLength(1);
    expect((failed[0] as { reason: string }).reason).toMatch(new RegExp(`^registry ${deadHost} unreachable \\(GET /v2/\\): connect ECONNREFUSED 127.0.0.1:`));
    expect(events.filter((e) => e.type === 'build.publishing')).toHaveLength(2);
    const job = await publishJob(buildId);
    expect(job.attemptsMade).toBe(2);
    expect(job.state).toBe('failed');
  });

  it('fails for good on an invalid image name', async () => {
    const buildId = await addBuild({ image: 'Not An Image', tags: ['latest'], push: true }, archiveFor('badname'));
    const events = await eventsUntilDone(buildId);
    expect(events.filter((e) => e.type === 'build.failed')).toEqual([
      expect.objectContaining({ reason: 'invalid image name "Not An Image": expected registry/repository, lowercase, without tag' }),
    ]);
    expect((await publishJob(buildId)).attemptsMade).toBe(1);
  });

  it('does not publish a build canceled after its tasks were built: no tag, no build.failed', async () => {
    // The cancel lands while the last task finishes (an agent that missed the message): the API
    // has put the build id in the canceled set before the publish job runs.
    const make = archiveFor('canceled');
    const buildId = await addBuild({ image: `${host}/flow/canceled`, tags: ['latest'], push: true }, async (platform, taskId, id) => {
      await redis.sadd(redisKeys(prefix).canceled, id);
      return make(platform, taskId);
    });
    const job = await publishJob(buildId);
    expect(job.state).toBe('failed');
    expect(job.attemptsMade).toBe(1);
    const entries = await redis.xrange(redisKeys(prefix).events, '-', '+');
    expect(entries.map(([, f]) => BuildEvent.parse(JSON.parse(f[1]!))).filter((e) => e.buildId === buildId)).toEqual([]);
    expect(await skopeoTagExists(`${host}/flow/canceled:latest`)).toBe(false);
  });

  it('does not tag a build canceled while its index was being written: no tag, no build.failed', async () => {
    const repo = `flow/late-cancel-${randomUUID().slice(0, 8)}`;
    let buildId = '';
    let indexHeld!: () => void;
    const held = new Promise<void>((r) => (indexHeld = r));
    // The index PUT (by digest) waits until the cancel has landed; the check before the tags must see it.
    proxy.hold = (req) => {
      if (req.method !== 'PUT' || !req.url?.startsWith(`/v2/${repo}/manifests/`) || req.headers['content-type'] !== OCI_INDEX) return null;
      indexHeld();
      return redis.sadd(redisKeys(prefix).canceled, buildId).then(() => {});
    };
    try {
      buildId = await addBuild({ image: `${proxy.host}/${repo}`, tags: ['latest', '1'], push: true }, archiveFor('late-cancel'));
      await held;
      const job = await publishJob(buildId);
      expect(job.state).toBe('failed');
      expect(job.attemptsMade).toBe(1);
      const entries = await redis.xrange(redisKeys(prefix).events, '-', '+');
      const types = entries
        .map(([, f]) => BuildEvent.parse(JSON.parse(f[1]!)))
        .filter((e) => e.buildId === buildId)
        .map((e) => e.type);
      expect(types).toContain('build.publishing');
      expect(types.filter((t) => t === 'build.failed' || t === 'build.succeeded')).toEqual([]);
      for (const tag of ['latest', '1']) expect(await skopeoTagExists(`${host}/${repo}:${tag}`)).toBe(false);
      expect(proxy.seen.filter((r) => r.startsWith(`PUT /v2/${repo}/manifests/`) && !r.includes('sha256:'))).toEqual([]);
    } finally {
      proxy.hold = () => null;
    }
  });

  it('does not touch the registry when push is false', async () => {
    const buildId = await addBuild({ image: `${deadHost}/flow/app`, tags: ['latest'], push: false }, archiveFor('nopush'));
    const events = await eventsUntilDone(buildId);
    expect(events.map((e) => e.type)).toEqual(['build.succeeded']);
    expect(events[0]).toMatchObject({ indexDigest: null });
  });
});
