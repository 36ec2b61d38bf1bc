import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PUBLISH_QUEUE, buildQueueName, parsePlatform, redisKeys, type PublishJob } from '@archway/contract';
import type { DbBuildStatus as BuildStatus } from '../../infra/build-status.ts';
import { publishEvent } from '@archway/runtime';
import { makeGitRepo, type ApiFixture } from '../../testing/fixture.ts';
import { buildJob, finalBuild, postBuild, publishJob, reconcileFixture, startFirstTask, sweep, waitFor } from './test-support.ts';

let f: ApiFixture;
let repoUrl: string;

beforeAll(async () => {
  f = await reconcileFixture();
  repoUrl = (await makeGitRepo(f.tmp)).url;
});
afterAll(async () => f?.close());

/** A build row as createBuild writes it, but its flow never reached Redis (the API died in between). */
async function rowWithoutFlow(platforms: string[], extra: { status?: BuildStatus } = {}) {
  return f.prisma.build.create({
    data: {
      sourceUrl: repoUrl,
      ref: 'main',
      commit: 'a'.repeat(40),
      platforms,
      tags: [],
      push: false,
      ...extra,
      tasks: { create: platforms.map((platform) => ({ platform })) },
    },
    include: { tasks: true },
  });
}

describe('reconciler: Postgres against Redis', () => {
  it('queues a build whose flow never reached Redis again, once, after the grace period', async () => {
    const build = await rowWithoutFlow(['linux/amd64', 'linux/arm64']);
    // Within the grace period the API creating it may still be adding the flow: left alone.
    expect((await sweep(f, { graceMs: 3_600_000 })).requeuedFlows).toBe(0);
    expect(await publishJob(f, build.id)).toBeUndefined();

    expect((await sweep(f)).requeuedFlows).toBe(1);
    const parent = await publishJob(f, build.id);
    expect(await parent!.getState()).toBe('waiting-children');
    for (const t of build.tasks) {
      const child = await buildJob(f, t.platform, t.id);
      expect(await child!.getState()).toBe('waiting');
      expect(child!.data).toMatchObject({ buildId: build.id, taskId: t.id, platform: t.platform, source: { url: repoUrl, commit: 'a'.repeat(40) } });
      expect(child!.parentKey).toBe(`${f.prefix}:${PUBLISH_QUEUE}:${build.id}`);
    }
    const tasks = await f.prisma.task.findMany({ where: { buildId: build.id } });
    for (const t of tasks)
      expect(t).toMatchObject({ status: 'queued', error: expect.stringMatching(/^queued again by the reconciler: its jobs were not in Redis/) });

    // A second sweep (or another replica) finds the flow and adds nothing.
    expect((await sweep(f)).requeuedFlows).toBe(0);
    expect(await f.queues.queue(buildQueueName(parsePlatform('linux/amd64'))).getJobCountByTypes('waiting')).toBeGreaterThanOrEqual(1);
    const amd = await f.queues.queue(buildQueueName(parsePlatform('linux/amd64'))).getJobs(['waiting']);
    expect(amd.filter((j) => j.data.buildId === build.id)).toHaveLength(1);
  });

  it('queues a build again exactly once when two sweeps race (replicas without the lease)', async () => {
    const build = await rowWithoutFlow(['linux/arm/v7']);
    await Promise.all([sweep(f), sweep(f), sweep(f)]);
    const jobs = await f.queues.queue(buildQueueName(parsePlatform('linux/arm/v7'))).getJobs(['waiting', 'prioritized', 'delayed', 'active']);
    expect(jobs.filter((j) => j.data.buildId === build.id).map((j) => j.id)).toEqual([build.tasks[0]!.id]);
    expect(await (await publishJob(f, build.id))!.getDependenciesCount()).toMatchObject({ unprocessed: 1 });
  });

  it('fails a started build whose jobs were lost from Redis, saying so', async () => {
    const build = await postBuild(f, repoUrl, ['linux/ppc64le']);
    const task = await startFirstTask(f, build, 'p9');
    // Redis restarted without its data: the flow is gone.
    expect(await f.queues.queue(PUBLISH_QUEUE).remove(build.id, { removeChildren: true })).toBe(1);

    expect((await sweep(f)).lostBuilds).toBe(1);
    const done = await finalBuild(f, build.id);
    expect(done.status).toBe('failed');
    expect(done.error).toMatch(
      /^linux\/ppc64le: its jobs were lost from Redis \(Redis restarted without its data, or failed over to a replica that lagged behind\); rebuild it$/,
    );
    expect(done.tasks[0]).toMatchObject({ status: 'failed' });
    expect(done.tasks[0]!.history).toEqual([expect.objectContaining({ attempt: 1, outcome: 'failed', cause: 'error' })]);
    // Any agent that still holds (or later sees) the task is told it is canceled.
    expect(await f.redis.sismember(redisKeys(f.prefix).canceled, task.id)).toBe(1);
  });

  it('fails a build whose child job alone was lost (its parent would wait forever)', async () => {
    const build = await postBuild(f, repoUrl, ['linux/arm/v6', 'linux/386']);
    const lost = build.tasks.find((t) => t.platform === 'linux/arm/v6')!;
    // Only the child's hash goes (a partial loss): the parent still lists it as a dependency.
    await f.redis.del(`${f.prefix}:${buildQueueName(parsePlatform('linux/arm/v6'))}:${lost.id}`);
    await f.redis.lrem(`${f.prefix}:${buildQueueName(parsePlatform('linux/arm/v6'))}:wait`, 0, lost.id);

    expect((await sweep(f)).lostBuilds).toBe(1);
    const done = await finalBuild(f, build.id);
    expect(done.status).toBe('failed');
    expect(done.error).toMatch(/its jobs were lost from Redis/);
    // The other platform's waiting job went with the flow: no agent builds a dead build.
    expect(await publishJob(f, build.id)).toBeUndefined();
    expect(await buildJob(f, 'linux/386', build.tasks.find((t) => t.platform === 'linux/386')!.id)).toBeUndefined();
  });

  it('after Redis lost all its data, queues unstarted builds again and fails started ones; the recorder recovers too', async () => {
    const unstarted = await postBuild(f, repoUrl, ['linux/amd64']);
    const started = await postBuild(f, repoUrl, ['linux/arm64']);
    const task = started.tasks[0]!;
    await publishEvent(f.redis, f.prefix, {
      type: 'task.started',
      buildId: started.id,
      taskId: task.id,
      agent: 'arm-9',
      attempt: 1,
      at: new Date().toISOString(),
    });
    await waitFor(async () => (await f.prisma.task.findUniqueOrThrow({ where: { id: task.id } })).status === 'running', 'task running');
    // Redis restarted without its AOF: every key of this installation is gone (events stream included).
    let cursor = '0';
    do {
      const [next, keys] = await f.redis.scan(cursor, 'MATCH', `${f.prefix}:*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await f.redis.del(...keys);
    } while (cursor !== '0');

    // Earlier tests' open builds of this file lost theirs too: count at least these two.
    const counts = await sweep(f);
    expect(counts.requeuedFlows).toBeGreaterThanOrEqual(1);
    expect(counts.lostBuilds).toBeGreaterThanOrEqual(1);
    expect(await (await publishJob(f, unstarted.id))!.getState()).toBe('waiting-children');
    const done = await finalBuild(f, started.id);
    expect(done).toMatchObject({ status: 'failed', error: expect.stringContaining('its jobs were lost from Redis') });
    expect((await f.prisma.build.findUniqueOrThrow({ where: { id: unstarted.id } })).status).toBe('queued');
  });

  const taskSupply = {
    sbomDigest: `sha256:${'4'.repeat(64)}`,
    packages: 3,
    sbomStatus: 'ok',
    generator: 'archway-sbom-1',
    baseImages: [],
    agent: 'x86-1',
    attempt: 1,
    startedOn: '2030-01-01T00:00:00.000Z',
    finishedOn: '2030-01-01T00:00:10.000Z',
  };

  it('queues a publishing build without its publish job again, with the results Postgres recorded', async () => {
    const build = await rowWithoutFlow(['linux/amd64', 'linux/arm64'], { status: 'publishing' });
    for (const t of build.tasks) {
      await f.prisma.task.update({
        where: { id: t.id },
        data: {
          status: 'built',
          archiveKey: `archives/${build.id}/${t.platform.replace('/', '-')}.tar`,
          archiveSize: 4096n,
          archiveDigest: `sha256:${'1'.repeat(64)}`,
          manifestDigest: `sha256:${'2'.repeat(64)}`,
          supply: { ...taskSupply, sbomKey: `supply/${build.id}/${t.platform.replace('/', '-')}.spdx.json` },
        },
      });
    }
    expect((await sweep(f)).requeuedPublishes).toBe(1);
    const job = await publishJob(f, build.id);
    expect(await job!.getState()).toBe('waiting');
    const data = job!.data as PublishJob;
    expect(data).toMatchObject({ buildId: build.id, push: false, platforms: ['linux/amd64', 'linux/arm64'] });
    expect(data.results!.map((r) => [r.taskId, r.platform, r.archiveSize])).toEqual(expect.arrayContaining(build.tasks.map((t) => [t.id, t.platform, 4096])));
    // The publish still attests: the agents' SBOM material and the build's provenance parameters.
    expect(data.results!.map((r) => r.supply?.sbomKey).sort()).toEqual(
      build.tasks.map((t) => `supply/${build.id}/${t.platform.replace('/', '-')}.spdx.json`).sort(),
    );
    expect(data.supply).toMatchObject({ attestations: true, source: { commit: build.commit } });
    const row = await f.prisma.build.findUniqueOrThrow({ where: { id: build.id } });
    expect(row).toMatchObject({ status: 'publishing', error: expect.stringMatching(/^publish queued again by the reconciler: its publish job was lost/) });
    expect((await sweep(f)).requeuedPublishes).toBe(0); // the job is there now
  });

  it('closes tasks an ended build left open once nothing holds their job', async () => {
    const build = await postBuild(f, repoUrl, ['linux/arm/v7']);
    await f.prisma.build.update({
      where: { id: build.id },
      data: { status: 'failed', error: 'another platform failed', finishedAt: new Date(Date.now() - 60_000) },
    });
    expect((await sweep(f, { graceMs: 120_000 })).closedTasks).toBe(0); // the recorder may still have its events
    expect((await sweep(f, { graceMs: 1000 })).closedTasks).toBe(1);
    const task = await f.prisma.task.findUniqueOrThrow({ where: { id: build.tasks[0]!.id } });
    expect(task).toMatchObject({ status: 'canceled', error: 'closed by the reconciler: the build ended (failed) before this platform did' });
    expect(await buildJob(f, 'linux/arm/v7', task.id)).toBeUndefined();
  });
});
