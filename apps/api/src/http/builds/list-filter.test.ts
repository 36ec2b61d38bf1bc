import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BuildList } from '@archway/contract';
import { apiFixture, makeGitRepo, resolved, type ApiFixture } from '../../testing/fixture.ts';

// GET /api/v1/builds?repoId=&ref= : the dashboard's repository page and its builds filters.
let f: ApiFixture;
let repo: { dir: string; url: string; commit: string };

beforeAll(async () => {
  f = await apiFixture({ allowLocalSources: true });
  repo = await makeGitRepo(f.tmp);
});
afterAll(async () => f?.close());

const list = async (query: string) => {
  const res = await f.app.inject({ method: 'GET', url: `/api/v1/builds?${query}`, headers: f.auth });
  expect(res.statusCode, res.body).toBe(200);
  return (res.json() as BuildList).items.map((b) => b.id);
};

describe('GET /api/v1/builds filters', () => {
  it('filters by repository and by branch, alone and together with status', async () => {
    const reg = await f.app.inject({
      method: 'POST',
      url: '/api/v1/repos',
      headers: f.auth,
      payload: { fullName: 'acme/app', provider: 'github', cloneUrl: repo.url, platforms: ['linux/amd64'] },
    });
    expect(reg.statusCode, reg.body).toBe(201);
    const repoId = reg.json().id as string;
    const fromRepo = await f.app.inject({ method: 'POST', url: `/api/v1/repos/${repoId}/builds`, headers: f.auth, payload: { ref: 'main' } });
    expect(fromRepo.statusCode, fromRepo.body).toBe(202);
    const repoBuild = fromRepo.json().id as string;
    const adHoc = await f.app.inject({
      method: 'POST',
      url: '/api/v1/builds',
      headers: f.auth,
      payload: { source: { url: repo.url, ref: 'main' }, platforms: ['linux/amd64'], push: false },
    });
    expect(adHoc.statusCode, adHoc.body).toBe(202);
    const adHocBuild = adHoc.json().id as string;

    expect(await list(`repoId=${repoId}`)).toEqual([repoBuild]);
    expect(await list(`repoId=${repoId}&status=failed`)).toEqual([]);
    expect(await list('ref=main')).toEqual([adHocBuild, repoBuild]);
    expect(await list('ref=refs/heads/main')).toEqual([]);
    expect(await list('ref=other')).toEqual([]);
    expect(await list(`ref=main&repoId=${repoId}`)).toEqual([repoBuild]);
    // A repository id that exists nowhere is an empty list, not an error.
    expect(await list('repoId=00000000-0000-4000-8000-000000000000')).toEqual([]);
  });

  it('answers 400 naming repoId when it is not a repository id', async () => {
    const res = await f.app.inject({ method: 'GET', url: '/api/v1/builds?repoId=acme/app', headers: f.auth });
    expect(res.statusCode).toBe(400);
    expect(res.json().field).toBe('repoId');
  });
});

/** A build page as the list shows it: without phases, attempt history and supply chain. */
function summaryOf(page: Record<string, unknown>) {
  const { phases: _phases, supplyChain: _supply, tasks, ...build } = page;
  return { ...build, tasks: (tasks as Record<string, unknown>[]).map(({ phases: _p, history: _h, ...t }) => t) };
}

describe('GET /api/v1/builds items', () => {
  it('are summaries: tasks without phases or history, no supply chain; the build page has them all', async () => {
    const created = await f.app.inject({
      method: 'POST',
      url: '/api/v1/builds',
      headers: f.auth,
      payload: { source: { url: repo.url, ref: 'main', commit: repo.commit }, platforms: ['linux/amd64'], push: false },
    });
    expect(created.statusCode, created.body).toBe(202);
    const id = created.json().id as string;
    await resolved(f, id);
    const task = await f.prisma.task.findFirstOrThrow({ where: { buildId: id } });
    await f.prisma.phase.create({
      data: { buildId: id, taskId: task.id, name: 'clone', kind: 'clone', attempt: 1, startedAt: new Date(), durationMs: 12 },
    });
    const res = await f.app.inject({ method: 'GET', url: '/api/v1/builds?limit=200', headers: f.auth });
    const item = (res.json() as BuildList).items.find((b) => b.id === id)!;
    expect(item.tasks.map((t) => [t.platform, t.status])).toEqual([['linux/amd64', task.status]]);
    expect(Object.keys(item)).not.toContain('phases');
    expect(Object.keys(item)).not.toContain('supplyChain');
    expect(Object.keys(item.tasks[0]!)).not.toContain('phases');
    expect(Object.keys(item.tasks[0]!)).not.toContain('history');
    const page = (await f.app.inject({ method: 'GET', url: `/api/v1/builds/${id}`, headers: f.auth })).json();
    expect(page.tasks[0].phases.map((p: { name: string }) => p.name)).toEqual(['clone']);
    expect(page).toHaveProperty('phases');
    expect(page.tasks[0]).toHaveProperty('history');
  });

  it('show every field as the build page does (the list is plain SQL, the page Prisma), in any time zone', async () => {
    const created = await f.app.inject({
      method: 'POST',
      url: '/api/v1/builds',
      headers: f.auth,
      payload: { source: { url: repo.url, ref: 'main', commit: repo.commit }, platforms: ['linux/arm64', 'linux/amd64'], push: false },
    });
    expect(created.statusCode, created.body).toBe(202);
    const id = created.json().id as string;
    await resolved(f, id);
    const at = (ms: number) => new Date(Date.UTC(2026, 0, 2, 3, 4, 5) + ms);
    await f.prisma.build.update({
      where: { id },
      data: {
        status: 'waiting_for_approval',
        approvalReason: 'a fork',
        approvedBy: 'ops',
        approvedAt: at(1),
        startedAt: at(2),
        finishedAt: at(3),
        statusState: 'pending',
        reason: 'why',
        error: 'what',
      },
    });
    const [first] = await f.prisma.task.findMany({ where: { buildId: id }, orderBy: { platform: 'asc' } });
    await f.prisma.task.update({
      where: { id: first!.id },
      data: {
        status: 'failed',
        agent: 'pi-1',
        attempts: 2,
        error: 'boom',
        failedStep: 'RUN make',
        exitCode: 2,
        manifestDigest: `sha256:${'a'.repeat(64)}`,
        baseImages: [{ reference: 'localhost/base:1', digest: `sha256:${'b'.repeat(64)}` }],
        archiveSize: 5_000_000_123n,
        startedAt: at(4),
        finishedAt: at(5),
      },
    });
    // Timestamps are stored without a zone, as UTC: a list read as local time would be 5.5 h off here.
    const zone = process.env.TZ;
    process.env.TZ = 'Asia/Kolkata';
    const listed = await f.app.inject({ method: 'GET', url: '/api/v1/builds?limit=200', headers: f.auth }).finally(() => {
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    });
    const item = listed.json().items.find((b: { id: string }) => b.id === id);
    const page = (await f.app.inject({ method: 'GET', url: `/api/v1/builds/${id}`, headers: f.auth })).json();
    expect(item).toEqual(summaryOf(page));
    expect(item.status).toBe('waiting-for-approval');
    expect(item.approval.approvedAt).toBe('2026-01-02T03:04:05.001Z');
    expect(item.tasks.find((t: { agent: string | null }) => t.agent === 'pi-1')).toMatchObject({
      startedAt: '2026-01-02T03:04:05.004Z',
      archiveSize: 5_000_000_123,
    });
  });

  it('show a build of several images as the build page does', async () => {
    const created = await f.app.inject({
      method: 'POST',
      url: '/api/v1/builds',
      headers: f.auth,
      payload: {
        source: { url: repo.url, ref: 'main', commit: repo.commit },
        push: false,
        images: [
          { name: 'api', platforms: ['linux/amd64'], push: false },
          { name: 'worker', platforms: ['linux/arm64'], target: 'tools', push: false },
        ],
      },
    });
    expect(created.statusCode, created.body).toBe(202);
    const id = created.json().id as string;
    await resolved(f, id);
    const item = (await f.app.inject({ method: 'GET', url: '/api/v1/builds?limit=200', headers: f.auth }))
      .json()
      .items.find((b: { id: string }) => b.id === id);
    const page = (await f.app.inject({ method: 'GET', url: `/api/v1/builds/${id}`, headers: f.auth })).json();
    expect(item).toEqual(summaryOf(page));
    expect(item.images.map((i: { name: string; target: string | null }) => [i.name, i.target])).toEqual([
      ['api', null],
      ['worker', 'tools'],
    ]);
  });
});
