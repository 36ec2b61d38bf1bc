import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Job } from 'bullmq';
import { Redis } from 'ioredis';
import { inject } from 'vitest';
import type { Build, BuildList } from '@archway/contract';
import { buildApp } from '../../app.ts';
import { createQueues } from '../../infra/queue/queues.ts';
import { FAIL_FAST } from '../../infra/queue/redis.ts';
import { freePort } from '@archway/runtime';
import { apiFixture, makeGitRepo, resolved, type ApiFixture } from '../../testing/fixture.ts';

let f: ApiFixture;
let repo: { dir: string; url: string; commit: string };

beforeAll(async () => {
  f = await apiFixture({ allowLocalSources: true });
  repo = await makeGitRepo(f.tmp);
});
afterAll(async () => f?.close());

async function create(body: Record<string, unknown> = {}) {
  const res = await f.app.inject({
    method: 'POST',
    url: '/api/v1/builds',
    headers: f.auth,
    payload: { source: { url: repo.url, ref: 'main' }, image: 'registry.example.com/me/app', tags: ['1.0', 'latest'], ...body },
  });
  // Accepted in `resolving`; the tests below look at it once the resolver queued it.
  if (res.statusCode === 202) await resolved(f, res.json().id);
  return res;
}

async function get(id: string): Promise<Build> {
  const res = await f.app.inject({ method: 'GET', url: `/api/v1/builds/${id}`, headers: f.auth });
  expect(res.statusCode).toBe(200);
  return res.json();
}

describe('POST /api/v1/builds', () => {
  it('accepts in resolving, then resolves the ref, stores a task per platform and adds the flow', async () => {
    const res = await create({ buildArgs: { VERSION: '1' } });
    expect(res.statusCode, res.body).toBe(202);
    const { id, status, url } = res.json();
    expect(status).toBe('resolving');
    expect(url).toBe(`http://archway.test/builds/${id}`);
    expect(res.headers.location).toBe(`http://archway.test/api/v1/builds/${id}`);

    const build = await f.prisma.build.findUniqueOrThrow({ where: { id }, include: { tasks: true } });
    expect(build).toMatchObject({ commit: repo.commit, ref: 'main', status: 'queued', containerfile: null, context: '.', push: true });
    expect(build.platforms).toEqual(['linux/amd64', 'linux/arm64']);
    expect(build.tasks.map((t) => t.platform).sort()).toEqual(['linux/amd64', 'linux/arm64']);

    const parent = await Job.fromId(f.queues.queue('publish'), id);
    expect(parent).toBeDefined();
    expect(await parent!.getState()).toBe('waiting-children');
    expect(parent!.data).toEqual({
      buildId: id,
      image: 'registry.example.com/me/app',
      tags: ['1.0', 'latest'],
      push: true,
      platforms: ['linux/amd64', 'linux/arm64'],
      // What the merger's provenance and annotations need: build-arg names, never their values.
      supply: {
        attestations: true,
        sign: true,
        builderId: 'http://archway.test',
        source: { url: repo.url, ref: 'main', commit: repo.commit },
        containerfile: null,
        context: '.',
        buildArgNames: ['VERSION'],
      },
    });
    expect(parent!.opts.attempts).toBe(3);
    const deps = await parent!.getDependencies();
    expect((deps.unprocessed ?? []).sort()).toEqual(build.tasks.map((t) => `${f.prefix}:build-${t.platform.replace('/', '-')}:${t.id}`).sort());

    for (const task of build.tasks) {
      const queue = f.queues.queue(`build-${task.platform.replace('/', '-')}`);
      const child = await Job.fromId(queue, task.id);
      expect(child, task.platform).toBeDefined();
      expect(await child!.getState()).toBe('waiting');
      expect(child!.opts).toMatchObject({ attempts: 2, failParentOnFailure: true, backoff: { type: 'exponential', delay: 2000 } });
      // No containerfile given: the key is absent, the agent tries Containerfile then Dockerfile.
      expect(child!.data).toEqual({
        buildId: id,
        taskId: task.id,
        platform: task.platform,
        source: { url: repo.url, ref: 'main', commit: repo.commit },
        context: '.',
        buildArgs: { VERSION: '1' },
      });
    }
  });

  it('resolves an annotated tag to its commit and takes a given commit as is', async () => {
    const tagged = await create({ source: { url: repo.url, ref: 'v1.0' }, platforms: ['linux/arm64'] });
    expect(tagged.statusCode).toBe(202);
    expect((await get(tagged.json().id)).source).toEqual({ url: repo.url, ref: 'v1.0', commit: repo.commit });
    const fullRef = await create({ source: { url: repo.url, ref: 'refs/tags/v1.0' }, platforms: ['linux/arm64'] });
    expect(fullRef.statusCode).toBe(202);
    expect((await get(fullRef.json().id)).source.commit).toBe(repo.commit);

    const pinned = await create({ source: { url: repo.url, ref: 'whatever', commit: 'abcdef1' }, platforms: ['linux/arm64'] });
    expect(pinned.statusCode).toBe(202);
    expect((await get(pinned.json().id)).source.commit).toBe('abcdef1');
  });

  it("takes JSON sent with curl -d's default form content type (the README's first example)", async () => {
    const res = await f.app.inject({
      method: 'POST',
      url: '/api/v1/builds',
      headers: { ...f.auth, 'content-type': 'application/x-www-form-urlencoded' },
      payload: JSON.stringify({ source: { url: repo.url, ref: 'main' }, platforms: ['linux/arm64'], push: false }),
    });
    expect(res.statusCode).toBe(202);
    await resolved(f, res.json().id);
    const build = await get(res.json().id);
    expect(build).toMatchObject({ source: { url: repo.url, ref: 'main', commit: repo.commit }, platforms: ['linux/arm64'] });
  });

  it('answers 503 and keeps nothing when the flow cannot be added', async () => {
    // A Redis that is not there: the fail-fast client refuses at once.
    const dead = new Redis(`redis://127.0.0.1:${await freePort()}`, { ...FAIL_FAST, lazyConnect: true, retryStrategy: () => null });
    dead.on('error', () => {});
    const queues = createQueues(dead, f.prefix);
    const app = await buildApp({ ...f.deps, queues });
    try {
      const before = await f.prisma.build.count();
      const res = await app.inject({
        method: 'POST',
        url: '/api/v1/builds',
        headers: f.auth,
        payload: { source: { url: repo.url }, push: false, platforms: ['linux/riscv64'] },
      });
      expect(res.statusCode, res.body).toBe(503);
      expect(res.json().error).toBe('service_unavailable');
      expect(await f.prisma.build.count()).toBe(before);
      expect(await f.prisma.task.count({ where: { platform: 'linux/riscv64' } })).toBe(0);
      expect(await f.redis.keys(`${f.prefix}:build-linux-riscv64:*`)).toEqual([]);
    } finally {
      await app.close();
      await queues.close();
      dead.disconnect();
    }
  });
});

describe('GET /api/v1/builds', () => {
  it('lists newest first, pages with the cursor without overlap, and filters by status', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await create({ push: false, platforms: ['linux/amd64'] })).json().id);
    await f.prisma.build.update({ where: { id: ids[1]! }, data: { status: 'failed' } });

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await f.app.inject({ method: 'GET', url: `/api/v1/builds?limit=2${cursor ? `&cursor=${cursor}` : ''}`, headers: f.auth });
      expect(res.statusCode).toBe(200);
      const page = res.json() as BuildList;
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((b) => b.id));
      cursor = page.nextCursor;
    } while (cursor);
    const all = await f.prisma.build.findMany({ orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], select: { id: true } });
    expect(seen).toEqual(all.map((b) => b.id));
    expect(seen.slice(0, 5)).toEqual([...ids].reverse());

    const failed = (await f.app.inject({ method: 'GET', url: '/api/v1/builds?status=failed', headers: f.auth })).json() as BuildList;
    expect(failed.items.map((b) => b.id)).toEqual([ids[1]]);
    expect(failed.nextCursor).toBeNull();
  });

  it('answers 400 naming the parameter for a bad limit, status or cursor', async () => {
    for (const [query, field] of [
      ['limit=0', 'limit'],
      ['limit=abc', 'limit'],
      ['status=done', 'status'],
      ['cursor=nonsense', 'cursor'],
    ]) {
      const res = await f.app.inject({ method: 'GET', url: `/api/v1/builds?${query}`, headers: f.auth });
      expect(res.statusCode, query).toBe(400);
      expect(res.json().field, query).toBe(field);
    }
  });
});

describe('GET /api/v1/builds/:id', () => {
  it('answers the Build with tasks in platform order and phases with durations', async () => {
    const id = (await create()).json().id as string;
    const tasks = await f.prisma.task.findMany({ where: { buildId: id } });
    const arm = tasks.find((t) => t.platform === 'linux/arm64')!;
    const t0 = new Date('2030-01-01T00:00:00Z');
    await f.prisma.phase.create({
      data: { buildId: id, taskId: arm.id, attempt: 1, name: 'clone', kind: 'clone', startedAt: t0, endedAt: new Date(t0.getTime() + 1500), durationMs: 1500 },
    });
    await f.prisma.phase.create({ data: { buildId: id, taskId: null, attempt: 1, name: 'merge', kind: 'merge', startedAt: t0 } });
    const build = await get(id);
    expect(build.tasks.map((t) => t.platform)).toEqual(['linux/amd64', 'linux/arm64']);
    expect(build.tasks[1]!.phases).toEqual([
      {
        name: 'clone',
        kind: 'clone',
        step: null,
        attempt: 1,
        startedAt: t0.toISOString(),
        endedAt: '2030-01-01T00:00:01.500Z',
        durationMs: 1500,
        cached: null,
      },
    ]);
    expect(build.tasks[0]!.phases).toEqual([]);
    expect(build.phases.map((p) => p.name)).toEqual(['merge']);
    expect(build).toMatchObject({ status: 'queued', image: 'registry.example.com/me/app', tags: ['1.0', 'latest'], trigger: 'api', buildArgs: {} });
  });

  it('answers 404 for an unknown and for a malformed id', async () => {
    for (const id of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid', '1%27%20OR%201%3D1']) {
      const res = await f.app.inject({ method: 'GET', url: `/api/v1/builds/${id}`, headers: f.auth });
      expect(res.statusCode, id).toBe(404);
      expect(res.json().error).toBe('not_found');
    }
  });
});

describe('rebuild and cancel', () => {
  it('rebuilds with the same commit and settings as a new build', async () => {
    const first = (await create({ containerfile: 'Containerfile', buildArgs: { A: 'b' }, platforms: ['linux/arm64', 'linux/amd64'] })).json().id;
    const res = await f.app.inject({ method: 'POST', url: `/api/v1/builds/${first}/rebuild`, headers: f.auth });
    expect(res.statusCode, res.body).toBe(202);
    const second = res.json().id as string;
    expect(second).not.toBe(first);
    const [a, b] = [await get(first), await get(second)];
    for (const k of ['source', 'containerfile', 'context', 'platforms', 'image', 'tags', 'buildArgs', 'push'] as const) expect(b[k], k).toEqual(a[k]);
    expect(b.trigger).toBe('rebuild');
    expect(await f.queues.queue('publish').getJob(second)).toBeDefined();

    const missing = await f.app.inject({ method: 'POST', url: '/api/v1/builds/00000000-0000-4000-8000-000000000000/rebuild', headers: f.auth });
    expect(missing.statusCode).toBe(404);
  });

  it('cancels a queued build: rows canceled, jobs removed, agents told', async () => {
    const id = (await create()).json().id as string;
    const tasks = await f.prisma.task.findMany({ where: { buildId: id } });
    const sub = new Redis(inject('redisUrl'));
    const heard: string[] = [];
    await sub.subscribe(`${f.prefix}:cancel`);
    sub.on('message', (_c, m) => heard.push(m));
    try {
      const res = await f.app.inject({
        method: 'POST',
        url: `/api/v1/builds/${id}/cancel`,
        headers: { ...f.auth, 'content-type': 'application/json' },
        payload: '',
      });
      expect(res.statusCode, res.body).toBe(200);
      const build = res.json() as Build;
      expect(build.status).toBe('canceled');
      expect(build.finishedAt).not.toBeNull();
      expect(build.tasks.map((t) => t.status)).toEqual(['canceled', 'canceled']);

      expect(await f.queues.queue('publish').getJob(id)).toBeUndefined();
      for (const t of tasks) expect(await f.queues.queue(`build-${t.platform.replace('/', '-')}`).getJob(t.id)).toBeUndefined();
      const members = await f.redis.smembers(`${f.prefix}:canceled`);
      for (const t of tasks) expect(members).toContain(t.id);
      await waitForLength(heard, 2);
      expect(heard.sort()).toEqual(tasks.map((t) => t.id).sort());

      const again = await f.app.inject({ method: 'POST', url: `/api/v1/builds/${id}/cancel`, headers: f.auth });
      expect(again.statusCode).toBe(409);
      expect(again.json().message).toContain('canceled');
    } finally {
      sub.disconnect();
    }
  });

  it('cancels a running build but leaves the job an agent holds to the agent', async () => {
    const id = (await create({ platforms: ['linux/ppc64le', 'linux/s390x'] })).json().id as string;
    const tasks = await f.prisma.task.findMany({ where: { buildId: id } });
    const ppc = tasks.find((t) => t.platform === 'linux/ppc64le')!;
    const s390 = tasks.find((t) => t.platform === 'linux/s390x')!;
    // An "agent" takes the ppc64le job (a real BullMQ worker, fetching by hand so it stays active).
    const { Worker } = await import('bullmq');
    const conn = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null });
    const worker = new Worker('build-linux-ppc64le', null, { connection: conn, prefix: f.prefix, autorun: false });
    try {
      const job = await worker.getNextJob('agent-token');
      expect(job?.id).toBe(ppc.id);
      await f.prisma.build.update({ where: { id }, data: { status: 'running' } });
      await f.prisma.task.update({ where: { id: ppc.id }, data: { status: 'running' } });

      const res = await f.app.inject({ method: 'POST', url: `/api/v1/builds/${id}/cancel`, headers: f.auth });
      expect(res.statusCode, res.body).toBe(200);
      expect((await f.prisma.task.findMany({ where: { buildId: id } })).map((t) => t.status)).toEqual(['canceled', 'canceled']);
      // The waiting s390x job is gone; the active ppc64le job stays with its agent, which was told.
      expect(await f.queues.queue('build-linux-s390x').getJob(s390.id)).toBeUndefined();
      expect(await (await f.queues.queue('build-linux-ppc64le').getJob(ppc.id))!.getState()).toBe('active');
      expect(await f.redis.sismember(`${f.prefix}:canceled`, ppc.id)).toBe(1);
      // The parent still waits for the active child, so it cannot run (publish) meanwhile.
      expect(await (await f.queues.queue('publish').getJob(id))!.getState()).toBe('waiting-children');
    } finally {
      await worker.close(true);
      conn.disconnect();
    }
  });

  it('answers 409 for a build that already finished', async () => {
    const id = (await create({ push: false, platforms: ['linux/amd64'] })).json().id as string;
    await f.prisma.build.update({ where: { id }, data: { status: 'succeeded' } });
    const res = await f.app.inject({ method: 'POST', url: `/api/v1/builds/${id}/cancel`, headers: f.auth });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ error: 'conflict', message: expect.stringContaining('is succeeded') });
  });
});

async function waitForLength(list: unknown[], n: number): Promise<void> {
  const deadline = Date.now() + 5000;
  while (list.length < n) {
    if (Date.now() > deadline) throw new Error(`expected ${n} messages, got ${list.length}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
