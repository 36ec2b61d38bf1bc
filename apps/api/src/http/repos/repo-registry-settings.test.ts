import { execFileSync } from 'node:child_process';
import { Job } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildQueueName, imageDestinations, PUBLISH_QUEUE, storedPlatform, type BuildJob, type PublishJob } from '@archway/contract';
import { apiFixture, makeGitRepo, resolved, type ApiFixture } from '../../testing/fixture.ts';

describe('repository push targets and shared layer cache', () => {
  let f: ApiFixture;
  let git: { url: string; commit: string };
  let id: string;

  beforeAll(async () => {
    f = await apiFixture({ allowLocalSources: true });
    const repo = await makeGitRepo(f.tmp, 'targets');
    execFileSync('git', ['update-ref', 'refs/pull/3/head', repo.commit], { cwd: repo.dir });
    git = repo;
  });
  afterAll(async () => {
    await f?.close();
  });

  const call = (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object, headers = f.auth) =>
    f.app.inject({ method, url: `/api/v1${url}`, headers, ...(payload ? { payload } : {}) });
  const publishJob = async (ref: string) => {
    const res = await call('POST', `/repos/${id}/builds`, { ref });
    expect(res.statusCode, res.body).toBe(202);
    await resolved(f, res.json().id); // the resolver queues the jobs behind the answer
    return (await Job.fromId(f.queues.queue(PUBLISH_QUEUE), res.json().id))!.data as PublishJob;
  };

  it('keeps extra destinations of the image and sends them with branch builds, not with pull requests', async () => {
    const res = await call('POST', '/repos', {
      fullName: 'acme/targets',
      provider: 'forgejo',
      cloneUrl: git.url,
      platforms: ['linux/amd64'],
      image: 'ghcr.io/acme/app',
      pushTargets: ['harbor.internal/team/', 'registry.lan:5000'],
    });
    expect(res.statusCode, res.body).toBe(201);
    id = res.json().id;
    expect(res.json().pushTargets).toEqual(['harbor.internal/team', 'registry.lan:5000']);
    const job = await publishJob('main');
    expect(job.targets).toEqual(['harbor.internal/team', 'registry.lan:5000']);
    expect(imageDestinations(job.image!, job.targets)).toEqual(['ghcr.io/acme/app', 'harbor.internal/team/app', 'registry.lan:5000/app']);
    expect((await publishJob('refs/pull/3/head')).targets).toBeUndefined();
  });

  it('refuses a target that is not a registry host with a path, and changes nothing', async () => {
    for (const bad of ['app', 'harbor.internal/team:1.0', 'https://harbor.internal/team']) {
      const res = await call('PATCH', `/repos/${id}`, { pushTargets: [bad] });
      expect(res.statusCode, bad).toBe(400);
      expect(res.body).toContain('pushTargets');
    }
    expect((await call('GET', `/repos/${id}`)).json().pushTargets).toEqual(['harbor.internal/team', 'registry.lan:5000']);
    const cleared = await call('PATCH', `/repos/${id}`, { pushTargets: [] });
    expect(cleared.json().pushTargets).toEqual([]);
    expect((await publishJob('main')).targets).toBeUndefined();
  });

  it('holds a build token limited to image prefixes to every target too', async () => {
    await call('PATCH', `/repos/${id}`, { pushTargets: ['harbor.internal/team'] });
    const tok = await call('POST', '/tokens', { name: 'ghcr only', scopes: ['build'], imagePrefixes: ['ghcr.io/acme'] });
    const limited = { authorization: `Bearer ${tok.json().token}` };
    const res = await call('POST', `/repos/${id}/builds`, { ref: 'main' }, limited);
    expect(res.statusCode).toBe(403);
    expect(res.body).toContain('harbor.internal/team/app is outside them');
  });

  it('sends the shared layer cache with every build of the repository, read-only for pull requests', async () => {
    const buildJobOf = async (ref: string) => {
      const res = await call('POST', `/repos/${id}/builds`, { ref });
      expect(res.statusCode, res.body).toBe(202);
      const { tasks } = await resolved(f, res.json().id);
      const task = tasks[0]!;
      return (await Job.fromId(f.queues.queue(buildQueueName(storedPlatform(task.platform))), task.id))!.data as BuildJob;
    };
    expect((await call('GET', `/repos/${id}`)).json().layerCache).toBeNull();
    expect((await buildJobOf('main')).cache).toBeUndefined(); // the server's default here: off
    expect((await call('PATCH', `/repos/${id}`, { layerCache: true })).json().layerCache).toBe(true);
    expect((await buildJobOf('main')).cache).toEqual({ scope: id, write: true });
    expect((await buildJobOf('refs/pull/3/head')).cache).toEqual({ scope: id, write: false });
    expect((await call('PATCH', `/repos/${id}`, { layerCache: 'yes' })).statusCode).toBe(400);
    expect((await call('PATCH', `/repos/${id}`, { layerCache: null })).json().layerCache).toBeNull();
  });
});
