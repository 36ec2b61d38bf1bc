import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Job } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BuildRequest, buildQueueName, PUBLISH_QUEUE, storedPlatform, type BuildJob } from '@archway/contract';
import { apiFixture, makeGitRepo, resolved, type ApiFixture } from '../../testing/fixture.ts';

let f: ApiFixture;
let git: { dir: string; url: string; commit: string };

beforeAll(async () => {
  f = await apiFixture({ allowLocalSources: true });
  git = await makeGitRepo(f.tmp, 'rebuild');
});
afterAll(async () => f?.close());

/** A request; an accepted build is waited for until the resolver moved it out of `resolving`. */
async function call(method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object) {
  const res = await f.app.inject({ method, url: `/api/v1${url}`, headers: f.auth, ...(payload ? { payload } : {}) });
  if (method === 'POST' && res.statusCode === 202) expect((await resolved(f, res.json().id)).status).toBe('queued');
  return res;
}

/** What the agents and the merger get for a build, by platform, without the ids that differ per build. */
async function payloads(buildId: string) {
  const tasks = await f.prisma.task.findMany({ where: { buildId } });
  const children: Record<string, Omit<BuildJob, 'buildId' | 'taskId'>> = {};
  for (const task of tasks) {
    const job = await Job.fromId(f.queues.queue(buildQueueName(storedPlatform(task.platform))), task.id);
    expect(job, `${task.platform} job`).toBeDefined();
    const { buildId: b, taskId: t, ...rest } = job!.data as BuildJob;
    expect([b, t]).toEqual([buildId, task.id]);
    children[task.platform] = rest;
  }
  const parent = await Job.fromId(f.queues.queue(PUBLISH_QUEUE), buildId);
  const { buildId: _b, ...publish } = parent!.data;
  return { children, publish };
}

describe('rebuild from the stored request', () => {
  it('reproduces the original jobs after the repository settings and the branch changed', async () => {
    const created = await call('POST', '/repos', {
      fullName: 'acme/rebuild',
      provider: 'github',
      cloneUrl: git.url,
      image: 'registry.example.com/acme/rebuild',
      containerfile: 'Containerfile',
      context: '.',
      platforms: ['linux/amd64', 'linux/arm64'],
      buildArgs: { VERSION: '1', MODE: 'release' },
    });
    expect(created.statusCode, created.body).toBe(201);
    const repoId = created.json().id as string;
    const first = await call('POST', `/repos/${repoId}/builds`, { ref: 'main' });
    expect(first.statusCode, first.body).toBe(202);
    const firstId = first.json().id as string;
    const before = await payloads(firstId);
    expect(before.children['linux/arm64']).toMatchObject({
      source: { url: git.url, ref: 'main', commit: git.commit },
      containerfile: 'Containerfile',
      context: '.',
      buildArgs: { VERSION: '1', MODE: 'release' },
    });
    expect(before.publish.tags.length).toBeGreaterThan(0);

    // Everything a repository build is assembled from changes: settings, and the branch moves on.
    const patched = await call('PATCH', `/repos/${repoId}`, {
      image: 'registry.example.com/acme/elsewhere',
      containerfile: 'Other.Containerfile',
      context: 'sub',
      platforms: ['linux/s390x'],
      buildArgs: { VERSION: '2' },
      tagRules: { defaultBranchSha: false },
    });
    expect(patched.statusCode, patched.body).toBe(200);
    await writeFile(join(git.dir, 'later'), 'later\n');
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qam', 'later', '--allow-empty'], { cwd: git.dir });

    const again = await call('POST', `/builds/${firstId}/rebuild`);
    expect(again.statusCode, again.body).toBe(202);
    const secondId = again.json().id as string;
    expect(await payloads(secondId)).toEqual(before);
    const a = await f.prisma.build.findUniqueOrThrow({ where: { id: firstId } });
    const b = await f.prisma.build.findUniqueOrThrow({ where: { id: secondId } });
    expect(b.request).toEqual(a.request);
    expect(b.trigger).toBe('rebuild');
    expect(b.repoId).toBe(repoId);
  });

  it('stores the normalised request with the resolved commit, and nothing else', async () => {
    const res = await call('POST', '/builds', { source: { url: git.url, ref: 'main' }, push: false, platforms: ['arm64'] });
    expect(res.statusCode, res.body).toBe(202);
    const row = await f.prisma.build.findUniqueOrThrow({ where: { id: res.json().id } });
    const head = execFileSync('git', ['rev-parse', 'main'], { cwd: git.dir }).toString().trim();
    // Defaults applied and the platform normalised, exactly the contract's BuildRequest.
    expect(row.request).toEqual({
      source: { url: git.url, ref: 'main', commit: head },
      context: '.',
      platforms: ['linux/arm64'],
      tags: [],
      buildArgs: {},
      push: false,
      attestations: true,
    });
    expect(BuildRequest.parse(row.request)).toEqual(row.request);
  });

  it('falls back to the columns for a build without a stored request', async () => {
    const res = await call('POST', '/builds', { source: { url: git.url, ref: 'main' }, push: false, platforms: ['linux/amd64'], buildArgs: { X: 'y' } });
    const id = res.json().id as string;
    const before = await payloads(id);
    await f.prisma.$executeRawUnsafe('UPDATE "Build" SET "request" = NULL WHERE "id" = $1::uuid', id);
    const again = await call('POST', `/builds/${id}/rebuild`);
    expect(again.statusCode, again.body).toBe(202);
    expect(await payloads(again.json().id)).toEqual(before);
  });
});
