import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisKeys, type BuildStatus } from '@archway/contract';
import { waitFor, type ApiFixture } from '../../testing/fixture.ts';
import { createSecretBox } from '../../infra/secrets/secret-box.ts';
import { STATUS_QUEUE } from './queue.ts';
import type { StatusReporter } from './reporter.ts';
import { repoBuildRow, statusFixture, statusServer } from './test-support.ts';
import { createApiMetrics } from '../../metrics/api-metrics.ts';

describe('commit statuses', () => {
  let f: ApiFixture;
  let reporter: StatusReporter;
  const forge = statusServer();
  let base: string;
  const sha = 'c'.repeat(40);
  const secretBox = createSecretBox(randomBytes(32));
  const metrics = createApiMetrics();
  /** archway_commit_status_posts_total of one outcome so far. */
  const posts = async (outcome: string) => (await metrics.commitStatuses.get()).values.find((v) => v.labels.outcome === outcome)?.value ?? 0;
  let githubRepo: string;
  let forgejoRepo: string;

  beforeAll(async () => {
    ({ f, reporter, base } = await statusFixture(forge.server, secretBox, { attempts: 4, backoffMs: 100 }, metrics));
    const create = async (payload: object) => {
      const res = await f.app.inject({ method: 'POST', url: '/api/v1/repos', headers: f.auth, payload });
      expect(res.statusCode, res.body).toBe(201);
      expect(JSON.stringify(res.json())).not.toContain('ghp_');
      return res.json().id as string;
    };
    githubRepo = await create({
      fullName: 'Codertocat/Hello-World',
      provider: 'github',
      cloneUrl: 'https://github.com/Codertocat/Hello-World.git',
      apiUrl: `${base}/api/v3`,
      forgeToken: 'ghp_statusToken',
      image: 'registry.example.com/hello',
    });
    forgejoRepo = await create({ fullName: 'alice/webapp', provider: 'forgejo', cloneUrl: `${base}/alice/webapp.git`, forgeToken: 'fj_statusToken' });
  });
  afterAll(async () => {
    await reporter?.close();
    await f?.close();
    forge.server.close();
  });

  const repoBuild = (repoId: string, status: BuildStatus = 'queued') =>
    repoBuildRow(f, { repoId, commit: sha, image: repoId === githubRepo ? 'registry.example.com/hello' : null, status });
  /** What the recorder does after it changed a build. */
  const changed = (id: string) => f.redis.publish(redisKeys(f.prefix).buildChanged, id);
  const requestsFor = (id: string) => forge.received.filter((r) => (r.body.target_url as string).endsWith(id));

  it('GitHub: pending when queued, then success, with the build link and a context per image', async () => {
    const build = await repoBuild(githubRepo);
    await changed(build.id);
    await waitFor(async () => requestsFor(build.id).length === 1, 'pending status');
    await f.prisma.build.update({ where: { id: build.id }, data: { status: 'succeeded' } });
    await changed(build.id);
    await waitFor(async () => requestsFor(build.id).length === 2, 'success status');
    const [pending, success] = requestsFor(build.id);
    expect(pending).toEqual({
      method: 'POST',
      path: `/api/v3/repos/Codertocat/Hello-World/statuses/${sha}`,
      auth: 'Bearer ghp_statusToken',
      body: {
        state: 'pending',
        target_url: `http://archway.test/builds/${build.id}`,
        description: 'Queued: linux/amd64',
        context: 'archway/registry.example.com/hello',
      },
    });
    expect(success!.body).toMatchObject({ state: 'success', description: 'Pushed latest' });
    const shown = (await f.app.inject({ url: `/api/v1/builds/${build.id}`, headers: f.auth })).json();
    expect(shown).toMatchObject({ statusState: 'success', statusError: null, repoId: githubRepo });
  });

  it('Forgejo: "token" auth on /api/v1 of the clone URL host; a failed build reports failure with its reason', async () => {
    const build = await repoBuild(forgejoRepo, 'failed');
    await f.prisma.build.update({ where: { id: build.id }, data: { error: 'linux/amd64: step 2/2 RUN exit 3 failed (exit code 3)' } });
    await changed(build.id);
    await waitFor(async () => requestsFor(build.id).length === 1, 'failure status');
    expect(requestsFor(build.id)[0]).toEqual({
      method: 'POST',
      path: `/api/v1/repos/alice/webapp/statuses/${sha}`,
      auth: 'token fj_statusToken',
      body: {
        state: 'failure',
        target_url: `http://archway.test/builds/${build.id}`,
        description: 'linux/amd64: step 2/2 RUN exit 3 failed (exit code 3)',
        context: 'archway',
      },
    });
  });

  it('sync() queues the final status without any notification, once however often it is called', async () => {
    // The recorder calls it for every final event it applies, also for a repeat that changes nothing.
    const build = await repoBuild(githubRepo, 'succeeded');
    await reporter.sync(build.id);
    await reporter.sync(build.id);
    await waitFor(async () => requestsFor(build.id).length === 1, 'success status');
    expect(requestsFor(build.id)[0]!.body).toMatchObject({ state: 'success' });
    expect(await f.queues.queue(STATUS_QUEUE).getJob(`${build.id}-final`)).toBeDefined();
  });

  it('retries with backoff when the forge fails, and clears the error once it succeeds', async () => {
    const build = await repoBuild(githubRepo, 'canceled');
    const [failedBefore, postedBefore] = [await posts('failed'), await posts('posted')];
    forge.failNext.push({ status: 502, body: { message: 'Bad gateway' } }, { status: 503, body: { message: 'Unavailable' } });
    await changed(build.id);
    await waitFor(async () => requestsFor(build.id).length === 3, 'third attempt', 20_000);
    expect(requestsFor(build.id).map((r) => r.body.state)).toEqual(['error', 'error', 'error']);
    const row = await waitFor(async () => {
      const b = await f.prisma.build.findUniqueOrThrow({ where: { id: build.id } });
      return b.statusState === 'error' ? b : undefined;
    }, 'status recorded');
    expect(row.statusError).toBeNull();
    expect(row.status).toBe('canceled');
    expect(await posts('failed')).toBe(failedBefore + 2);
    // Counted once reportStatus returns, just after it recorded the state: wait for it.
    await waitFor(async () => (await posts('posted')) === postedBefore + 1, 'the post counted');
  });

  it('a token the forge rejects: not retried, the error is shown on the build, the build is untouched', async () => {
    const build = await repoBuild(githubRepo, 'succeeded');
    forge.failNext.push({ status: 401, body: { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' } });
    await changed(build.id);
    const shown = await waitFor(async () => {
      const b = (await f.app.inject({ url: `/api/v1/builds/${build.id}`, headers: f.auth })).json();
      return b.statusError ? b : undefined;
    }, 'status error on the build');
    expect(shown.statusError).toBe(
      `commit status "success" not reported: github answered 401: Bad credentials (check the repository's forge token and its permissions)`,
    );
    expect(shown.status).toBe('succeeded');
    const job = await f.queues.queue('statuses').getJob(`${build.id}-final`);
    await waitFor(async () => (await job!.getState()) === 'failed', 'job failed');
    expect(requestsFor(build.id)).toHaveLength(1);
    await waitFor(async () => (await posts('refused')) === 1, 'the refusal counted');
  });

  it('builds without a repository or without a forge token report nothing', async () => {
    const plain = await f.prisma.build.create({ data: { sourceUrl: 'x', ref: 'main', commit: sha, platforms: ['linux/amd64'], tags: [] } });
    const noToken = await f.app.inject({ method: 'PATCH', url: `/api/v1/repos/${forgejoRepo}`, headers: f.auth, payload: { forgeToken: null } });
    expect(noToken.json().hasForgeToken).toBe(false);
    const build = await repoBuild(forgejoRepo, 'succeeded');
    await changed(plain.id);
    await changed(build.id);
    const job = await waitFor(async () => f.queues.queue('statuses').getJob(`${build.id}-final`), 'job queued');
    await waitFor(async () => (await job.getState()) === 'completed', 'job done');
    expect(job.returnvalue ?? (await f.queues.queue('statuses').getJob(job.id!))?.returnvalue).toBe('skipped');
    expect(requestsFor(build.id)).toHaveLength(0);
    expect(requestsFor(plain.id)).toHaveLength(0);
  });
});
