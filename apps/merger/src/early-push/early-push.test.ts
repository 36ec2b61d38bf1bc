import type {} from '../../../../test/global-setup.ts';
import { randomUUID } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { buildQueueName, BuildEvent, PUBLISH_QUEUE, type BuildJob, type BuildResult, type PublishJob } from '@archway/contract';
import { redisKeys } from '@archway/contract';
import { FsObjectStore, nowIso, publishEvent } from '@archway/runtime';
import { FlowProducer, Queue, UnrecoverableError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { testPrefix, testRedis } from '../../../../test/support/redis.ts';
import type { MergerConfig } from '../env.ts';
import { resultFor, writeTestArchive, type TestArchive } from '../test-support/oci-archive.ts';
import { skopeoRaw, skopeoTagExists } from '../test-support/tools.ts';
import { startMerger, type MergerHandle } from '../worker.ts';
import { EarlyPushState } from './state.ts';
import { AMD64, ARM64 } from '../test-support/platforms.ts';

const PLATFORMS = [AMD64, ARM64];
const MANIFEST_TYPES = 'application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json';
let prefix: string;
let host: string;
let store: FsObjectStore;
let redis: Redis;
let merger: MergerHandle;
let flows: FlowProducer;
let agents: Worker[];
let state: EarlyPushState;

/** Per task: the result to return, a gate the stand-in agent waits for, or a failure. */
interface Plan {
  result: BuildResult;
  gate?: Promise<void>;
  fail?: string;
}
const plans = new Map<string, Plan>();

beforeAll(async () => {
  prefix = testPrefix();
  host = inject('registryHost');
  const dir = await mkdtemp(join(inject('tmpRoot'), 'early-push-'));
  store = new FsObjectStore(dir);
  redis = testRedis();
  state = new EarlyPushState(redis, prefix);
  const config: MergerConfig = {
    redisUrl: inject('redisUrl'),
    prefix,
    objectStore: dir,
    registry: { authFile: null, insecureRegistries: [host], retries: 0, retryBaseMs: 5 },
    concurrency: 1,
    platformConcurrency: 2,
    earlyPushes: 2,
    blobConcurrency: 4,
  };
  merger = await startMerger(config, { store, log: () => {} });
  flows = new FlowProducer({ connection: testRedis({ worker: true }), prefix });
  // Stand-ins for agents, reporting like the real one: `task.built` on the events stream, then the result.
  agents = PLATFORMS.map(
    (p) =>
      new Worker(
        buildQueueName(p),
        async (job) => {
          const data = job.data as BuildJob;
          const plan = plans.get(data.taskId)!;
          await plan.gate;
          if (plan.fail) throw new UnrecoverableError(plan.fail);
          await publishEvent(redis, prefix, { type: 'task.built', buildId: data.buildId, taskId: data.taskId, attempt: 1, result: plan.result, at: nowIso() });
          return plan.result;
        },
        { connection: testRedis({ worker: true }), prefix },
      ),
  );
});

afterAll(async () => {
  await Promise.all(agents.map((a) => a.close()));
  await flows.close();
  await merger.close();
  redis.disconnect();
});

function gate() {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

/** A build flow as the API adds it, with one archive per platform. */
async function addBuild(
  repo: string,
  tags: string[],
  plan: (platform: string, archive: TestArchive, result: BuildResult) => Partial<Plan> | Promise<Partial<Plan>> = () => ({}),
) {
  const buildId = randomUUID();
  const archives = new Map<string, TestArchive>();
  const children = [];
  for (const platform of PLATFORMS) {
    const taskId = randomUUID();
    const [os, architecture] = platform.split('/') as [string, string];
    const archive = await writeTestArchive(store, `archives/${buildId}/${architecture}.tar`, { platform: { os, architecture } });
    archives.set(platform, archive);
    const result = resultFor(archive, platform, taskId);
    plans.set(taskId, { result, ...(await plan(platform, archive, result)) });
    const data: BuildJob = { buildId, taskId, platform, source: { url: 'x', ref: 'main', commit: 'abc1234' }, context: '.', buildArgs: {} };
    children.push({ name: 'build', queueName: buildQueueName(platform), data, opts: { jobId: taskId, failParentOnFailure: true } });
  }
  const data: PublishJob = { buildId, image: `${host}/${repo}`, tags, push: true, platforms: PLATFORMS };
  await flows.add({ name: 'publish', queueName: PUBLISH_QUEUE, data, opts: { jobId: buildId, attempts: 1 }, children });
  return { buildId, archives };
}

async function until<T>(what: string, probe: () => Promise<T | null | undefined | false>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The build's events in stream order. */
async function buildEvents(buildId: string): Promise<BuildEvent[]> {
  const entries = await redis.xrange(redisKeys(prefix).events, '-', '+');
  return entries.map(([, f]) => BuildEvent.parse(JSON.parse(f[1]!))).filter((e) => e.buildId === buildId);
}
const finished = (buildId: string) =>
  until('a final event', async () =>
    (await buildEvents(buildId)).some((e) => e.type === 'build.succeeded' || e.type === 'build.failed') ? buildEvents(buildId) : null,
  );

async function headStatus(repo: string, kind: 'manifests' | 'blobs', ref: string): Promise<number> {
  const res = await fetch(`http://${host}/v2/${repo}/${kind}/${ref}`, { method: 'HEAD', headers: { accept: MANIFEST_TYPES } });
  return res.status;
}
const pushStarts = (events: BuildEvent[]) => events.flatMap((e) => (e.type === 'phase.started' && e.kind === 'push' ? [e.name] : []));

describe('pipelined publishing (early pushes from task.built)', () => {
  it('pushes the first platform while the second still builds; after the last one only its blobs, the index and the tags remain', async () => {
    const repo = `early/app-${randomUUID().slice(0, 8)}`; // fresh: no tag from an earlier run
    const arm = gate();
    const { buildId, archives } = await addBuild(repo, ['1', 'latest'], (p) => (p === ARM64 ? { gate: arm.promise } : {}));
    const amd = archives.get(AMD64)!;

    await until('amd64 pushed early', async () => (await state.read(buildId, AMD64))?.state === 'pushed');
    // In the registry by digest, while arm64 has not even finished building: no tag yet.
    expect(await headStatus(repo, 'manifests', amd.manifestDigest)).toBe(200);
    for (const digest of [amd.configDigest, ...amd.layers.map((l) => l.digest)]) expect(await headStatus(repo, 'blobs', digest)).toBe(200);
    for (const tag of ['1', 'latest']) expect(await headStatus(repo, 'manifests', tag)).toBe(404);
    expect(pushStarts(await buildEvents(buildId))).toEqual(['push linux/amd64']);

    // What happens from here on is the work left after the last platform: amd64's archive is
    // not even there any more.
    const client = await merger.registries.client(host);
    const before = { ...client.stats };
    await store.delete(amd.key);
    arm.open();
    const events = await finished(buildId);

    expect(events.at(-1)).toMatchObject({ type: 'build.succeeded' });
    const lastBuilt = events.findIndex((e) => e.type === 'task.built' && e.result.platform === ARM64);
    expect(pushStarts(events.slice(lastBuilt))).toEqual(['push linux/arm64']);
    expect(pushStarts(events)).toEqual(['push linux/amd64', 'push linux/arm64']);
    expect(client.stats.blobsUploaded - before.blobsUploaded).toBe(4); // arm64's blobs: two layers, config, manifest
    expect(client.stats.manifestsPut - before.manifestsPut).toBe(4); // arm64's manifest, the index, two tags
    const index = await skopeoRaw(`${host}/${repo}:latest`);
    expect(index.manifests.map((m: { digest: string }) => m.digest)).toEqual([amd.manifestDigest, archives.get(ARM64)!.manifestDigest]);
    expect((await skopeoRaw(`${host}/${repo}:1`)).manifests).toEqual(index.manifests);
    expect(await state.read(buildId, AMD64)).toBeNull(); // forgotten once published
  });

  it('leaves no tag when a later platform fails after an early push', async () => {
    const repo = `early/failing-${randomUUID().slice(0, 8)}`; // fresh: no tag from an earlier run
    const arm = gate();
    const { buildId, archives } = await addBuild(repo, ['latest'], (p) => (p === ARM64 ? { gate: arm.promise, fail: 'step 3 failed' } : {}));
    await until('amd64 pushed early', async () => (await state.read(buildId, AMD64))?.state === 'pushed');
    arm.open();
    const queue = new Queue(PUBLISH_QUEUE, { connection: redis, prefix });
    try {
      await until('the publish job failed', async () => (await (await queue.getJob(buildId))?.getState()) === 'failed');
    } finally {
      await queue.close();
    }
    expect(await headStatus(repo, 'manifests', archives.get(AMD64)!.manifestDigest)).toBe(200);
    expect(await skopeoTagExists(`${host}/${repo}:latest`)).toBe(false);
  });

  it('after a failed early push, the publish job pushes that platform itself', async () => {
    const arm = gate();
    // amd64's archive is unreadable when the early push runs (moved away), and back afterwards.
    const { buildId, archives } = await addBuild('early/retry', ['latest'], async (p, archive) => {
      if (p === ARM64) return { gate: arm.promise };
      await store.put('aside.tar', await store.get(archive.key));
      await store.delete(archive.key);
      return {};
    });
    const amd = archives.get(AMD64)!;
    const failed = await until('the early push failed', async () => {
      const r = await state.read(buildId, AMD64);
      return r?.state === 'failed' ? r : null;
    });
    expect(failed.reason).toContain('missing from the object store');
    await store.put(amd.key, await store.get('aside.tar'));
    arm.open();
    const events = await finished(buildId);
    expect(events.at(-1)).toMatchObject({ type: 'build.succeeded' });
    expect(pushStarts(events)).toEqual(expect.arrayContaining(['push linux/amd64', 'push linux/amd64 (again)', 'push linux/arm64']));
    const index = await skopeoRaw(`${host}/early/retry:latest`);
    expect(index.manifests.map((m: { digest: string }) => m.digest)).toEqual([amd.manifestDigest, archives.get(ARM64)!.manifestDigest]);
  });
});
