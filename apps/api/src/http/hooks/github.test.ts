import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PUBLISH_QUEUE, type Repo } from '@archway/contract';
import { BUSYBOX_CONTAINERFILE, commitFiles, makeGitRepo } from '../../../../../test/harness/git-repo.ts';
import { apiFixture, resolved, waitFor, type ApiFixture } from '../../testing/fixture.ts';
import { STATUS_QUEUE } from '../../workers/statuses/queue.ts';
import { githubExample, sendGithub, withCommit } from './test-support.ts';

// GitHub's own example payloads (push to a branch, push of a tag, deletion, pull_request
// opened/synchronize, ping) against the real API, Postgres, Redis and a real git repository.
describe('POST /hooks/github', () => {
  let f: ApiFixture;
  let repo: Repo & { webhookSecret: string };
  let git: { dir: string; url: string; commit: string };
  const commits: Record<string, string> = {};
  const image = 'registry.example.com/codertocat/hello-world';

  beforeAll(async () => {
    f = await apiFixture({ allowLocalSources: true, hookBodyLimit: 100 * 1024 });
    git = await makeGitRepo(join(f.tmp, 'hello-world'), { Containerfile: BUSYBOX_CONTAINERFILE, 'hello.txt': 'hi\n' });
    const run = (...args: string[]) => execFileSync('git', args, { cwd: git.dir }).toString().trim();
    run('tag', 'v1.2.3');
    run('tag', 'v1.0.0');
    run('checkout', '-q', '-b', 'bad');
    commits.bad = await commitFiles(git.dir, { '.archway.yaml': '# overrides\ncontext: .\nplatforms: [linux/amd64, linux/foo]\n' }, 'bad yaml');
    run('checkout', '-q', '-b', 'good', 'main');
    commits.good = await commitFiles(
      git.dir,
      { '.archway.yaml': 'platforms: [arm64]\ntags: ["{branch}-edge", "sha-{sha}"]\nbuildArgs: { MODE: fast }\n' },
      'good yaml',
    );
    run('checkout', '-q', '-b', 'feature', 'main');
    commits.pr1 = await commitFiles(git.dir, { 'a.txt': '1' }, 'pr 1');
    commits.pr2 = await commitFiles(git.dir, { 'a.txt': '2' }, 'pr 2');
    run('checkout', '-q', 'main');

    const res = await f.app.inject({
      method: 'POST',
      url: '/api/v1/repos',
      headers: f.auth,
      payload: {
        fullName: 'Codertocat/Hello-World',
        provider: 'github',
        cloneUrl: git.url,
        defaultBranch: 'master',
        image,
        platforms: ['linux/amd64', 'linux/arm64'],
      },
    });
    expect(res.statusCode, res.body).toBe(201);
    repo = res.json();
    expect(repo.webhookSecret).toMatch(/^[A-Za-z0-9_-]{32}$/);
  });
  afterAll(async () => {
    await f?.close();
  });

  const secret = () => repo.webhookSecret;
  const builds = () => f.prisma.build.findMany({ where: { repoId: repo.id }, orderBy: { createdAt: 'asc' } });
  const deliveries = async () => (await f.app.inject({ url: `/api/v1/repos/${repo.id}/deliveries`, headers: f.auth })).json().items as any[];

  it('answers ping and records the delivery', async () => {
    const ping = githubExample('ping', (e) => e.hook?.type === 'Repository');
    // The example ping comes from another repository (Octocoders/Hello-World): register it too.
    const other = await f.app.inject({
      method: 'POST',
      url: '/api/v1/repos',
      headers: f.auth,
      payload: { fullName: ping.repository.full_name, provider: 'github', cloneUrl: git.url },
    });
    expect(other.statusCode, other.body).toBe(201);
    const res = await sendGithub(f.app, 'ping', ping, { repoId: other.json().id, secret: other.json().webhookSecret, delivery: 'ping-1' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ result: 'ping', delivery: 'ping-1' });
    const recorded = (await f.app.inject({ url: `/api/v1/repos/${other.json().id}/deliveries`, headers: f.auth })).json().items;
    expect(recorded).toEqual([expect.objectContaining({ deliveryId: 'ping-1', event: 'ping', result: 'ping', source: 'github' })]);
  });

  it('push to the default branch: queues a build tagged latest and sha-<7>, with its flow and a pending status', async () => {
    const payload = withCommit(
      githubExample('push', (e) => e.ref === 'refs/heads/master' && !e.deleted),
      git.commit,
    );
    const res = await sendGithub(f.app, 'push', payload, { repoId: repo.id, secret: secret(), delivery: 'push-main-1' });
    expect(res.statusCode, res.body).toBe(202);
    const body = res.json();
    expect(body).toMatchObject({ result: 'queued', delivery: 'push-main-1', build: { url: expect.stringContaining('/builds/') } });
    const build = await resolved(f, body.build.id);
    expect(build).toMatchObject({
      commit: git.commit,
      ref: 'master',
      sourceUrl: git.url,
      image,
      push: true,
      trigger: 'webhook',
      triggerRef: 'branch:master',
      tags: ['latest', `sha-${git.commit.slice(0, 7)}`],
      platforms: ['linux/amd64', 'linux/arm64'],
    });
    expect(build.tasks).toHaveLength(2);
    expect(await f.queues.queue(PUBLISH_QUEUE).getJob(build.id)).toBeDefined();
    const status = await f.queues.queue(STATUS_QUEUE).getJob(`${build.id}-pending`);
    expect(status?.data).toEqual({ buildId: build.id, stage: 'pending' });
    expect((await deliveries()).find((d) => d.deliveryId === 'push-main-1')).toMatchObject({ result: 'queued', buildId: build.id, attempts: 1 });
  });

  it('a repeated delivery id never queues a second build', async () => {
    const before = (await builds()).length;
    const payload = withCommit(
      githubExample('push', (e) => e.ref === 'refs/heads/master' && !e.deleted),
      git.commit,
    );
    const res = await sendGithub(f.app, 'push', payload, { repoId: repo.id, secret: secret(), delivery: 'push-main-1' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ duplicate: true, result: 'queued' });
    expect((await builds()).length).toBe(before);
    expect((await deliveries()).find((d) => d.deliveryId === 'push-main-1')).toMatchObject({ attempts: 2 });
  });

  it('push of a tag: a plain tag keeps its name; v1.2.3 → 1.2.3, 1.2, 1, latest', async () => {
    const plain = withCommit(
      githubExample('push', (e) => e.ref === 'refs/tags/simple-tag' && !e.deleted),
      git.commit,
    );
    const r1 = await sendGithub(f.app, 'push', plain, { repoId: repo.id, secret: secret() });
    expect(r1.statusCode, r1.body).toBe(202);
    expect((await resolved(f, r1.json().build.id)).tags).toEqual(['simple-tag']);

    const semver = withCommit(
      githubExample('push', (e) => e.ref === 'refs/tags/simple-tag' && !e.deleted),
      git.commit,
    );
    semver.ref = 'refs/tags/v1.2.3';
    const r2 = await sendGithub(f.app, 'push', semver, { repoId: repo.id, secret: secret() });
    expect(r2.statusCode, r2.body).toBe(202);
    const b = await resolved(f, r2.json().build.id);
    expect(b.tags).toEqual(['1.2.3', '1.2', '1', 'latest']);
    expect(b.triggerRef).toBe('tag:v1.2.3');

    const older = structuredClone(semver);
    older.ref = 'refs/tags/v1.0.0';
    const r3 = await sendGithub(f.app, 'push', older, { repoId: repo.id, secret: secret() });
    expect((await resolved(f, r3.json().build.id)).tags).toEqual(['1.0.0', '1.0', '1']);
  });

  it('ignores deletions with 202 and a reason', async () => {
    const before = (await builds()).length;
    const res = await sendGithub(
      f.app,
      'push',
      githubExample('push', (e) => e.deleted === true),
      { repoId: repo.id, secret: secret(), delivery: 'del-1' },
    );
    expect(res.statusCode).toBe(202);
    expect(res.json()).toMatchObject({ result: 'ignored', ignored: 'refs/tags/simple-tag was deleted' });
    const branchDeleted = githubExample('push', (e) => e.deleted === true);
    branchDeleted.ref = 'refs/heads/feature';
    const r2 = await sendGithub(f.app, 'push', branchDeleted, { repoId: repo.id, secret: secret() });
    expect(r2.json().ignored).toBe('refs/heads/feature was deleted');
    expect((await builds()).length).toBe(before);
    expect((await deliveries()).find((d) => d.deliveryId === 'del-1')).toMatchObject({ result: 'ignored' });
  });

  it('pull_request opened builds every platform and pushes nothing; synchronize supersedes it', async () => {
    const opened = withCommit(
      githubExample('pull_request', (e) => e.action === 'opened'),
      commits.pr1!,
    );
    const r1 = await sendGithub(f.app, 'pull_request', opened, { repoId: repo.id, secret: secret() });
    expect(r1.statusCode, r1.body).toBe(202);
    const first = await resolved(f, r1.json().build.id);
    expect(first).toMatchObject({
      push: false,
      tags: [],
      ref: `refs/pull/${opened.number}/head`,
      commit: commits.pr1,
      triggerRef: `pr:${opened.number}`,
      platforms: ['linux/amd64', 'linux/arm64'],
    });

    const sync = withCommit(
      githubExample('pull_request', (e) => e.action === 'synchronize'),
      commits.pr2!,
    );
    sync.number = opened.number;
    const r2 = await sendGithub(f.app, 'pull_request', sync, { repoId: repo.id, secret: secret() });
    expect(r2.statusCode, r2.body).toBe(202);
    expect(r2.json().message).toBe(`build accepted: resolving pr:${opened.number} at ${commits.pr2}`);
    expect((await resolved(f, r2.json().build.id)).status).toBe('queued');
    // The resolver cancels the superseded build once the newer one is queued.
    const canceled = await waitFor(async () => {
      const b = await f.prisma.build.findUniqueOrThrow({ where: { id: first.id } });
      return b.status === 'canceled' ? b : undefined;
    }, 'the superseded build canceled');
    expect(canceled.finishedAt).not.toBeNull();

    const closed = githubExample('pull_request', (e) => e.action === 'closed');
    const r3 = await sendGithub(f.app, 'pull_request', closed, { repoId: repo.id, secret: secret() });
    expect(r3.statusCode).toBe(202);
    expect(r3.json().ignored).toMatch(/action "closed" does not build/);
  });

  it('an invalid .archway.yaml fails the build with a reason naming the line', async () => {
    const payload = withCommit(
      githubExample('push', (e) => e.ref === 'refs/heads/master' && !e.deleted),
      commits.bad!,
    );
    payload.ref = 'refs/heads/bad';
    const res = await sendGithub(f.app, 'push', payload, { repoId: repo.id, secret: secret() });
    expect(res.statusCode, res.body).toBe(202);
    const build = await resolved(f, res.json().build.id);
    expect(build.status).toBe('failed');
    expect(build.error).toBe('.archway.yaml line 3: platforms[1]: unknown platform "linux/foo": architecture "foo" is not supported');
    // The resolver queues the final status just after the build's row changed.
    await waitFor(() => f.queues.queue(STATUS_QUEUE).getJob(`${build.id}-final`), 'the final status job');
    const shown = await f.app.inject({ url: `/api/v1/builds/${build.id}`, headers: f.auth });
    expect(shown.json()).toMatchObject({ status: 'failed', error: build.error });
  });

  it('a valid .archway.yaml overrides platforms, tags and build args', async () => {
    const payload = withCommit(
      githubExample('push', (e) => e.ref === 'refs/heads/master' && !e.deleted),
      commits.good!,
    );
    payload.ref = 'refs/heads/good';
    const res = await sendGithub(f.app, 'push', payload, { repoId: repo.id, secret: secret() });
    expect(res.statusCode, res.body).toBe(202);
    const build = await resolved(f, res.json().build.id);
    expect(build).toMatchObject({
      platforms: ['linux/arm64'],
      tags: ['good-edge', `sha-${commits.good!.slice(0, 7)}`],
      buildArgs: { MODE: 'fast' },
      push: true,
    });
  });

  describe('bad input', () => {
    const push = () =>
      withCommit(
        githubExample('push', (e) => e.ref === 'refs/heads/master' && !e.deleted),
        git.commit,
      );

    async function nothingStored(fn: () => Promise<void>) {
      const [b, d] = [await f.prisma.build.count(), await f.prisma.webhookDelivery.count()];
      await fn();
      expect(await f.prisma.build.count()).toBe(b);
      expect(await f.prisma.webhookDelivery.count()).toBe(d);
    }

    it('wrong or missing signature → 401, nothing stored or queued', async () => {
      await nothingStored(async () => {
        const wrong = await sendGithub(f.app, 'push', push(), { repoId: repo.id, secret: 'not-the-secret-at-all' });
        expect(wrong.statusCode).toBe(401);
        expect(wrong.json().message).toMatch(/X-Hub-Signature-256/);
        const missing = await sendGithub(f.app, 'push', push(), { repoId: repo.id, secret: secret(), signature: null });
        expect(missing.statusCode).toBe(401);
        const sha1 = await sendGithub(f.app, 'push', push(), { repoId: repo.id, secret: secret(), signature: 'sha1=0123' });
        expect(sha1.statusCode).toBe(401);
      });
    });

    // Was "unknown repository → 404": that answer told anyone which repositories exist.
    it('an unknown repository id answers exactly like a wrong signature (401, same body)', async () => {
      await nothingStored(async () => {
        const wrong = await sendGithub(f.app, 'push', push(), { repoId: repo.id, secret: 'not-the-secret-at-all' });
        const unknown = await sendGithub(f.app, 'push', push(), { repoId: '3f1d2c4b-0000-4000-8000-000000000000', secret: secret() });
        const notAnId = await sendGithub(f.app, 'push', push(), { repoId: 'Codertocat', secret: secret() });
        for (const res of [unknown, notAnId]) {
          expect(res.statusCode).toBe(wrong.statusCode);
          expect(res.body).toBe(wrong.body);
        }
        expect(wrong.statusCode).toBe(401);
      });
    });

    it('a signed payload about another repository → 400 naming both', async () => {
      await nothingStored(async () => {
        const payload = push();
        payload.repository.full_name = 'someone/unknown';
        const res = await sendGithub(f.app, 'push', payload, { repoId: repo.id, secret: secret() });
        expect(res.statusCode).toBe(400);
        expect(res.json().message).toMatch(/about someone\/unknown but this webhook URL is Codertocat\/Hello-World's/);
      });
    });

    it('malformed JSON or a form-encoded body → 400; over the limit → 413', async () => {
      await nothingStored(async () => {
        const bad = await sendGithub(f.app, 'push', undefined, { repoId: repo.id, secret: secret(), rawBody: '{"ref": ' });
        expect(bad.statusCode).toBe(400);
        expect(bad.json().message).toMatch(/malformed JSON/);
        const form = await sendGithub(f.app, 'push', undefined, {
          repoId: repo.id,
          secret: secret(),
          rawBody: `payload=${encodeURIComponent(JSON.stringify(push()))}`,
          contentType: 'application/x-www-form-urlencoded',
        });
        expect(form.statusCode).toBe(400);
        expect(form.json().message).toMatch(/application\/json/);
        const big = push();
        big.padding = 'x'.repeat(200 * 1024);
        const tooLarge = await sendGithub(f.app, 'push', big, { repoId: repo.id, secret: secret() });
        expect(tooLarge.statusCode).toBe(413);
      });
    });

    it('events we do not handle → 202 with ignored: <reason>', async () => {
      const res = await sendGithub(f.app, 'issues', githubExample('issues'), { repoId: repo.id, secret: secret(), delivery: 'issues-1' });
      expect(res.statusCode).toBe(202);
      expect(res.json().ignored).toBe('event "issues" is not handled (only ping, push, pull_request)');
    });
  });
});
