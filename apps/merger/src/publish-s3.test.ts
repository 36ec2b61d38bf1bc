import type {} from '../../../test/global-setup.ts';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildQueueName, BuildEvent, PUBLISH_QUEUE, type BuildJob, type BuildResult, type Platform, type PublishJob } from '@archway/contract';
import { redisKeys } from '@archway/contract';
import { createObjectStore, nowIso, publishEvent, type S3ObjectStore } from '@archway/runtime';
import { FlowProducer, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { rssTracker } from '../../../test/support/object-store-helpers.ts';
import { startS3, type TestS3 } from '../../../test/harness/s3.ts';
import { testPrefix, testRedis } from '../../../test/support/redis.ts';
import { RegistryPool } from './registry/index.ts';
import { BadArchiveError } from './errors.ts';
import { publishBuild } from './publish.ts';
import { writeLargeArchive } from './test-support/large-archive.ts';
import { resultFor, writeTestArchive } from './test-support/oci-archive.ts';
import { skopeoRaw, skopeoTagExists } from './test-support/tools.ts';
import { AMD64, ARM64 } from './test-support/platforms.ts';

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));
const MiB = 1024 * 1024;
let s3: TestS3;
let url: string;
let store: S3ObjectStore;
let pool: RegistryPool;
let host: string;

beforeAll(async () => {
  host = inject('registryHost');
  s3 = await startS3({ dir: join(inject('tmpRoot'), `merger-s3-${randomUUID()}`) });
  url = `s3://${s3.bucket}/merger-${randomUUID().slice(0, 8)}`;
  store = createObjectStore(url, s3.env) as S3ObjectStore;
  pool = new RegistryPool({ authFile: null, insecureRegistries: [host] });
});
afterAll(async () => {
  await pool.close();
  store?.destroy();
  await s3?.stop();
});

const job = (repo: string, platforms: Platform[]): PublishJob => ({ buildId: randomUUID(), image: `${host}/${repo}`, tags: ['latest'], push: true, platforms });

describe('the merger reading archives from a real S3 server (s3rver)', () => {
  it('publishes two platforms streamed from S3, a 96 MiB layer among them, with flat memory', async () => {
    const amd = await writeLargeArchive(store, 'archives/s3/amd64.tar', { os: 'linux', architecture: 'amd64' }, 96 * MiB);
    const arm = await writeTestArchive(store, 'archives/s3/arm64.tar', { platform: { os: 'linux', architecture: 'arm64' } });
    // Peak RSS over a baseline, with a full GC at every sample (20 ms): what the merger holds,
    // not how late V8 collects the chunks it streamed.
    const rss = rssTracker(1);
    const sampler = setInterval(rss.sample, 20);
    try {
      await publishBuild({
        store,
        registries: pool,
        job: job('s3/app', [AMD64, ARM64]),
        results: [resultFor(amd, AMD64, 't-amd'), resultFor(arm, ARM64, 't-arm')],
      });
    } finally {
      clearInterval(sampler);
    }
    rss.sample();
    expect(rss.growthMiB(), 'RSS growth in MiB').toBeLessThan(64);
    const index = await skopeoRaw(`${host}/s3/app:latest`);
    expect(index.manifests.map((m: { digest: string }) => m.digest)).toEqual([amd.manifestDigest, arm.manifestDigest]);
  });

  it('refuses an archive whose digest is not the one the agent reported, and tags nothing', async () => {
    const amd = await writeTestArchive(store, 'archives/s3-bad/amd64.tar', { platform: { os: 'linux', architecture: 'amd64' } });
    const reported = { ...resultFor(amd, AMD64, 't'), archiveLayoutDigest: `sha256:${'0'.repeat(64)}` };
    const publishing = publishBuild({ store, registries: pool, job: job('s3/bad', [AMD64]), results: [reported] });
    await expect(publishing).rejects.toThrow(BadArchiveError);
    await expect(publishing).rejects.toThrow(`archive layout digest is ${amd.layoutDigest}, but the agent reported sha256:${'0'.repeat(64)}`);
    expect(await skopeoTagExists(`${host}/s3/bad:latest`)).toBe(false);
  });

  it('the merger process configured with ARCHWAY_OBJECT_STORE=s3://… publishes a flow from S3', async () => {
    const prefix = testPrefix();
    const redis: Redis = testRedis();
    const flows = new FlowProducer({ connection: testRedis({ worker: true }), prefix });
    const results = new Map<string, BuildResult>();
    // Stand-ins for agents: report `task.built` on the events stream, then return the result.
    const agents = [AMD64, ARM64].map(
      (p) =>
        new Worker(
          buildQueueName(p),
          async (j) => {
            const data = j.data as BuildJob;
            const result = results.get(data.taskId)!;
            await publishEvent(redis, prefix, { type: 'task.built', buildId: data.buildId, taskId: data.taskId, attempt: 1, result, at: nowIso() });
            return result;
          },
          { connection: testRedis({ worker: true }), prefix },
        ),
    );
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
      env: {
        PATH: process.env.PATH!,
        HOME: inject('tmpRoot'),
        REDIS_URL: inject('redisUrl'),
        ARCHWAY_QUEUE_PREFIX: prefix,
        ARCHWAY_OBJECT_STORE: url,
        ARCHWAY_INSECURE_REGISTRIES: host,
        ...s3.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    try {
      await until(
        () => logRecords(output).some((r) => r.component === 'merger' && r.msg === 'consuming'),
        () => `merger did not start: ${output}`,
      );
      const buildId = randomUUID();
      const children = [];
      for (const platform of [AMD64, ARM64]) {
        const taskId = randomUUID();
        const [os, architecture] = platform.split('/') as [string, string];
        const archive = await writeTestArchive(store, `archives/${buildId}/${architecture}.tar`, { platform: { os, architecture } });
        results.set(taskId, resultFor(archive, platform, taskId));
        const data: BuildJob = { buildId, taskId, platform, source: { url: 'x', ref: 'main', commit: 'abc1234' }, context: '.', buildArgs: {} };
        children.push({ name: 'build', queueName: buildQueueName(platform), data, opts: { jobId: taskId, failParentOnFailure: true } });
      }
      const data: PublishJob = { buildId, image: `${host}/s3/flow`, tags: ['v1'], push: true, platforms: [AMD64, ARM64] };
      await flows.add({ name: 'publish', queueName: PUBLISH_QUEUE, data, opts: { jobId: buildId, attempts: 1 }, children });

      let events: BuildEvent[] = [];
      await until(
        async () => {
          const entries = await redis.xrange(redisKeys(prefix).events, '-', '+');
          events = entries.map(([, f]) => BuildEvent.parse(JSON.parse(f[1]!))).filter((e) => e.buildId === buildId);
          return events.some((e) => e.type === 'build.succeeded' || e.type === 'build.failed');
        },
        () => `no final event: ${JSON.stringify(events)}\n${output}`,
      );
      expect(events.at(-1)).toMatchObject({ type: 'build.succeeded' });
      const index = await skopeoRaw(`${host}/s3/flow:v1`);
      expect(index.manifests.map((m: { platform: { architecture: string } }) => m.platform.architecture)).toEqual(['amd64', 'arm64']);
    } finally {
      await stop(child);
      await Promise.all(agents.map((a) => a.close()));
      await flows.close();
      redis.disconnect();
    }
    expect(logRecords(output)).toContainEqual(expect.objectContaining({ component: 'merger', msg: 'stopped' }));
  });
});

/** The merger's log: one JSON record a line (stdout); other lines are skipped. */
function logRecords(output: string): Record<string, unknown>[] {
  return output.split('\n').flatMap((line) => {
    try {
      const record: unknown = JSON.parse(line);
      return record !== null && typeof record === 'object' ? [record as Record<string, unknown>] : [];
    } catch {
      return [];
    }
  });
}

async function until(probe: () => boolean | Promise<boolean>, describe: () => string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(describe());
    await new Promise((r) => setTimeout(r, 25));
  }
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}
