import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PUBLISH_QUEUE, publishJobId, type Build, type BuildJob, type Repo } from '@archway/contract';
import { BUSYBOX_CONTAINERFILE, makeGitRepo } from '../../../../../test/harness/git-repo.ts';
import { apiFixture, registerRepo, resolved, type ApiFixture } from '../../testing/fixture.ts';
import { githubExample, sendGithub, withCommit } from './test-support.ts';

const YAML = `platforms: [linux/amd64]
tags: ["{branch}"]
images:
  - name: api
    image: registry.example.com/acme/api
    platforms: [linux/amd64, linux/arm64]
  - name: worker
    image: registry.example.com/acme/worker
    containerfile: worker/Containerfile
    target: tools
    buildArgs: { ROLE: worker }
`;

// GitHub's push example, pointed at a real repository whose .archway.yaml lists two images.
describe('a push of a commit whose .archway.yaml lists several images', () => {
  let f: ApiFixture;
  let repo: Repo & { webhookSecret: string };
  let git: { url: string; commit: string };

  beforeAll(async () => {
    f = await apiFixture({ allowLocalSources: true });
    git = await makeGitRepo(join(f.tmp, 'app'), { Containerfile: BUSYBOX_CONTAINERFILE, 'worker/Containerfile': BUSYBOX_CONTAINERFILE, '.archway.yaml': YAML });
    repo = await registerRepo(f, { fullName: 'Codertocat/Hello-World', provider: 'github', cloneUrl: git.url, image: 'registry.example.com/acme/app' });
  });
  afterAll(async () => f?.close());

  it('queues one build: a task per image × platform, one publish flow per image with its own destination and tags', async () => {
    const payload = withCommit(
      githubExample('push', (e) => e.ref?.startsWith('refs/heads/')),
      git.commit,
    );
    payload.ref = 'refs/heads/main';
    const res = await sendGithub(f.app, 'push', payload, { repoId: repo.id, secret: repo.webhookSecret });
    expect(res.statusCode, res.body).toBe(202);
    const id = res.json().build.id as string;
    expect((await resolved(f, id)).status).toBe('queued');
    const build: Build = (await f.app.inject({ url: `/api/v1/builds/${id}`, headers: f.auth })).json();
    expect(build.tasks.map((t) => [t.image, t.platform])).toEqual([
      ['api', 'linux/amd64'],
      ['api', 'linux/arm64'],
      ['worker', 'linux/amd64'],
    ]);
    expect(build.images?.map((i) => [i.name, i.image, i.tags, i.indexDigest])).toEqual([
      ['api', 'registry.example.com/acme/api', ['main'], null],
      ['worker', 'registry.example.com/acme/worker', ['main'], null],
    ]);

    for (const [name, image, platforms] of [
      ['api', 'registry.example.com/acme/api', ['linux/amd64', 'linux/arm64']],
      ['worker', 'registry.example.com/acme/worker', ['linux/amd64']],
    ] as const) {
      const parent = (await f.queues.queue(PUBLISH_QUEUE).getJob(publishJobId(id, name)))!;
      expect(parent.data).toMatchObject({ buildId: id, imageName: name, image, tags: ['main'], push: true, platforms });
      expect((await parent.getDependencies()).unprocessed).toHaveLength(platforms.length);
    }
    expect(await f.queues.queue(PUBLISH_QUEUE).getJob(id)).toBeUndefined();
    const worker = build.tasks.find((t) => t.image === 'worker')!;
    const job = (await f.queues.queue('build-linux-amd64').getJob(worker.id))!.data as BuildJob;
    expect(job).toMatchObject({ image: 'worker', containerfile: 'worker/Containerfile', target: 'tools', buildArgs: { ROLE: 'worker' } });
  });

  it('a cancel removes every image’s flow', async () => {
    const payload = withCommit(
      githubExample('push', (e) => e.ref?.startsWith('refs/heads/')),
      git.commit,
    );
    payload.ref = 'refs/heads/other';
    const id = (await sendGithub(f.app, 'push', payload, { repoId: repo.id, secret: repo.webhookSecret })).json().build.id as string;
    // Queued first: the cancel then has every image's flow to remove.
    expect((await resolved(f, id)).status).toBe('queued');
    const res = await f.app.inject({ method: 'POST', url: `/api/v1/builds/${id}/cancel`, headers: f.auth });
    expect(res.statusCode, res.body).toBe(200);
    for (const name of ['api', 'worker']) expect(await f.queues.queue(PUBLISH_QUEUE).getJob(publishJobId(id, name))).toBeUndefined();
  });
});
