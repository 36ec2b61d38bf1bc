import { Job } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Build } from '@archway/contract';
import { apiFixture, makeGitRepo, resolved, type ApiFixture } from '../../testing/fixture.ts';

let f: ApiFixture;
let repo: { url: string; commit: string };

beforeAll(async () => {
  f = await apiFixture({ allowLocalSources: true });
  repo = await makeGitRepo(f.tmp);
});
afterAll(async () => f?.close());

describe('POST /api/v1/builds with a target stage', () => {
  it('passes the stage to every platform job and shows it on the build', async () => {
    const res = await f.app.inject({
      method: 'POST',
      url: '/api/v1/builds',
      headers: f.auth,
      payload: { source: { url: repo.url, ref: 'main' }, target: 'runtime', platforms: ['linux/amd64'], push: false },
    });
    expect(res.statusCode, res.body).toBe(202);
    const { id } = res.json();
    await resolved(f, id);
    const build: Build = (await f.app.inject({ method: 'GET', url: `/api/v1/builds/${id}`, headers: f.auth })).json();
    expect(build.target).toBe('runtime');
    const child = await Job.fromId(f.queues.queue('build-linux-amd64'), build.tasks[0]!.id);
    expect(child!.data.target).toBe('runtime');
  });

  it('refuses a stage name that is not one (400 naming target), creating nothing', async () => {
    const before = await f.prisma.build.count();
    const res = await f.app.inject({
      method: 'POST',
      url: '/api/v1/builds',
      headers: f.auth,
      payload: { source: { url: repo.url, ref: 'main' }, target: '-f /etc/passwd', push: false },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ field: 'target', message: expect.stringContaining('a stage name starts with a letter') });
    expect(await f.prisma.build.count()).toBe(before);
  });
});
