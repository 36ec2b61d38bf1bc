import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUSYBOX_CONTAINERFILE, makeGitRepo } from '../../../../test/harness/git-repo.ts';
import { githubExample, sendGithub, withCommit } from '../http/hooks/test-support.ts';
import { apiFixture, waitFor, type ApiFixture } from '../testing/fixture.ts';

// The API's own counters, read back through GET /metrics of a real app (Postgres, Redis, git).
describe('API metrics', () => {
  let f: ApiFixture;
  let git: { url: string; commit: string };
  let repo: { id: string; webhookSecret: string };

  beforeAll(async () => {
    f = await apiFixture({ allowLocalSources: true, hookBodyLimit: 100 * 1024 });
    git = await makeGitRepo(join(f.tmp, 'metrics-repo'), { Containerfile: BUSYBOX_CONTAINERFILE });
    const res = await f.app.inject({
      method: 'POST',
      url: '/api/v1/repos',
      headers: f.auth,
      payload: { fullName: 'Codertocat/Hello-World', provider: 'github', cloneUrl: git.url, defaultBranch: 'master', platforms: ['linux/amd64'] },
    });
    expect(res.statusCode, res.body).toBe(201);
    repo = res.json();
  });
  afterAll(async () => f?.close());

  /** The value of one series in GET /metrics, or undefined when absent. */
  async function metric(series: string): Promise<number | undefined> {
    const body = (await f.app.inject({ url: '/metrics', headers: f.auth })).body;
    const line = body.split('\n').find((l) => l.startsWith(`${series} `));
    return line ? Number(line.slice(series.length + 1)) : undefined;
  }

  it('times requests by route template, never by URL', async () => {
    const created = await f.app.inject({
      method: 'POST',
      url: '/api/v1/builds',
      headers: f.auth,
      payload: { source: { url: git.url, ref: 'main' }, platforms: ['linux/amd64'], push: false },
    });
    expect(created.statusCode, created.body).toBe(202);
    const id = created.json().id as string;
    expect((await f.app.inject({ url: `/api/v1/builds/${id}`, headers: f.auth })).statusCode).toBe(200);
    expect((await f.app.inject({ url: '/api/v1/no-such-thing', headers: f.auth })).statusCode).toBe(404);

    expect(await metric('archway_http_request_duration_seconds_count{method="GET",route="/api/v1/builds/:id",code="200"}')).toBe(1);
    expect(await metric('archway_http_request_duration_seconds_count{method="POST",route="/api/v1/builds",code="202"}')).toBe(1);
    expect(await metric('archway_http_request_duration_seconds_count{method="GET",route="unmatched",code="404"}')).toBeGreaterThanOrEqual(1);
    expect(await metric('archway_builds_created_total{trigger="api"}')).toBe(1);
    const body = (await f.app.inject({ url: '/metrics', headers: f.auth })).body;
    expect(body).not.toContain(id);
    expect(body).not.toContain(git.commit);
  });

  it('gauges the open event streams', async () => {
    const base = await f.app.listen({ host: '127.0.0.1', port: 0 });
    expect(await metric('archway_sse_clients')).toBe(0);
    const controller = new AbortController();
    const res = await fetch(`${base}/api/v1/events`, { headers: f.auth, signal: controller.signal });
    expect(res.status).toBe(200);
    expect(await metric('archway_sse_clients')).toBe(1);
    controller.abort();
    await waitFor(async () => (await metric('archway_sse_clients')) === 0, 'the stream counted closed');
  });

  it('counts webhook deliveries by forge, event and outcome, and the builds they create', async () => {
    const push = withCommit(
      githubExample('push', (e) => e.ref === 'refs/heads/master' && !e.deleted),
      git.commit,
    );
    const first = await sendGithub(f.app, 'push', push, { repoId: repo.id, secret: repo.webhookSecret, delivery: 'm-1' });
    expect(first.statusCode, first.body).toBe(202);
    expect((await sendGithub(f.app, 'push', push, { repoId: repo.id, secret: repo.webhookSecret, delivery: 'm-1' })).statusCode).toBe(200);
    expect(
      (await sendGithub(f.app, 'watch', { repository: { full_name: 'Codertocat/Hello-World' } }, { repoId: repo.id, secret: repo.webhookSecret })).statusCode,
    ).toBe(202);

    expect(await metric('archway_webhook_deliveries_total{forge="github",event="push",outcome="queued"}')).toBe(1);
    expect(await metric('archway_webhook_deliveries_total{forge="github",event="push",outcome="duplicate"}')).toBe(1);
    // An event name the forge made up is `other`: the header must not make new series.
    expect(await metric('archway_webhook_deliveries_total{forge="github",event="other",outcome="ignored"}')).toBe(1);
    expect(await metric('archway_builds_created_total{trigger="webhook"}')).toBe(1);
  });
});
