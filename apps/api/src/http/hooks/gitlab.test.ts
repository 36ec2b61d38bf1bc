import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Repo } from '@archway/contract';
import { commitFiles, makeGitRepo } from '../../../../../test/harness/git-repo.ts';
import { apiFixture, resolved, type ApiFixture } from '../../testing/fixture.ts';
import { sendGitlab } from './test-support.ts';

/**
 * GitLab's documented example payloads ("Webhook events": push, tag push, merge request), with
 * their commit ids pointed at commits of a local repository (GitLab's examples name commits no
 * local git server has). Nothing else is changed.
 */
function fixture(name: string, commits: Record<string, string>): Record<string, any> {
  let text = readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), 'utf8');
  for (const [from, to] of Object.entries(commits)) text = text.replaceAll(from, to);
  return JSON.parse(text);
}
const DOC_PUSH_SHA = 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7';
const DOC_TAG_SHA = '82b3d5ae55f7080f1e6022629cdb57bfae7cccc7';

describe('POST /hooks/gitlab', () => {
  let f: ApiFixture;
  let git: { dir: string; url: string; commit: string };
  let mrHead: string;
  const repos: Record<string, Repo & { webhookSecret: string }> = {};

  beforeAll(async () => {
    f = await apiFixture({ allowLocalSources: true });
    git = await makeGitRepo(join(f.tmp, 'diaspora'), { Containerfile: 'FROM scratch\n' });
    execFileSync('git', ['tag', 'v1.0.0'], { cwd: git.dir });
    mrHead = await commitFiles(git.dir, { 'viewport.css': 'body {}\n' }, 'ms-viewport');
    // The three examples are about three projects; each is registered as GitLab names it.
    for (const fullName of ['mike/diaspora', 'jsmith/example', 'gitlabhq/gitlab-test']) {
      const res = await f.app.inject({
        method: 'POST',
        url: '/api/v1/repos',
        headers: f.auth,
        payload: { fullName, provider: 'gitlab', cloneUrl: git.url, defaultBranch: 'master', image: `registry.example.com/${fullName}` },
      });
      expect(res.statusCode, res.body).toBe(201);
      repos[fullName] = res.json();
    }
  });
  afterAll(async () => {
    await f?.close();
  });

  // Webhooks answer before git: the resolver reads .archway.yaml and the tags behind the answer.
  const build = (id: string) => resolved(f, id);
  const opts = (name: string, extra: object = {}) => ({ repoId: repos[name]!.id, secret: repos[name]!.webhookSecret, ...extra });

  it('names its own webhook URL; a push to the default branch builds latest and sha-<7>', async () => {
    expect(repos['mike/diaspora']!.webhookUrl).toBe(`http://archway.test/hooks/gitlab/${repos['mike/diaspora']!.id}`);
    const res = await sendGitlab(f.app, 'Push Hook', fixture('gitlab-push', { [DOC_PUSH_SHA]: git.commit }), opts('mike/diaspora'));
    expect(res.statusCode, res.body).toBe(202);
    expect(await build(res.json().build.id)).toMatchObject({
      trigger: 'webhook',
      triggerRef: 'branch:master',
      ref: 'master',
      commit: git.commit,
      tags: ['latest', `sha-${git.commit.slice(0, 7)}`],
      push: true,
    });
  });

  it('refuses a wrong or missing X-Gitlab-Token with 401 and records nothing', async () => {
    const before = await f.prisma.webhookDelivery.count();
    const payload = fixture('gitlab-push', { [DOC_PUSH_SHA]: git.commit });
    for (const signature of ['not-the-secret', null, `${repos['mike/diaspora']!.webhookSecret}x`]) {
      const res = await sendGitlab(f.app, 'Push Hook', payload, opts('mike/diaspora', { signature }));
      expect(res.statusCode).toBe(401);
      expect(res.json().message).toMatch(/X-Gitlab-Token/);
    }
    // Another project's secret does not open this one's URL.
    const other = await sendGitlab(f.app, 'Push Hook', payload, { repoId: repos['mike/diaspora']!.id, secret: repos['jsmith/example']!.webhookSecret });
    expect(other.statusCode).toBe(401);
    expect(await f.prisma.webhookDelivery.count()).toBe(before);
  });

  it('a tag push builds the version tags, with the same tag rules as the other forges', async () => {
    const res = await sendGitlab(f.app, 'Tag Push Hook', fixture('gitlab-tag-push', { [DOC_TAG_SHA]: git.commit }), opts('jsmith/example'));
    expect(res.statusCode, res.body).toBe(202);
    expect(await build(res.json().build.id)).toMatchObject({ triggerRef: 'tag:v1.0.0', tags: ['1.0.0', '1.0', '1', 'latest'], commit: git.commit });
  });

  it('a merge request builds its head from refs/merge-requests/<iid>/head without pushing; updates without new commits do not', async () => {
    const open = fixture('gitlab-merge-request-open', { [DOC_PUSH_SHA]: mrHead });
    const res = await sendGitlab(f.app, 'Merge Request Hook', open, opts('gitlabhq/gitlab-test'));
    expect(res.statusCode, res.body).toBe(202);
    expect(await build(res.json().build.id)).toMatchObject({ triggerRef: 'pr:1', ref: 'refs/merge-requests/1/head', commit: mrHead, push: false, tags: [] });
    const delivery = await f.prisma.webhookDelivery.findFirstOrThrow({ where: { buildId: res.json().build.id } });
    expect(delivery).toMatchObject({ source: 'gitlab', event: 'Merge Request Hook', action: 'open', result: 'queued' });

    open.object_attributes.action = 'update';
    const noCode = await sendGitlab(f.app, 'Merge Request Hook', open, opts('gitlabhq/gitlab-test'));
    expect(noCode.json()).toMatchObject({ result: 'ignored', ignored: 'merge request update without new commits' });
    open.object_attributes.action = 'close';
    const closed = await sendGitlab(f.app, 'Merge Request Hook', open, opts('gitlabhq/gitlab-test'));
    expect(closed.json().ignored).toMatch(/action "close" does not build/);
  });

  it('ignores a deleted branch; a retry with the same Idempotency-Key queues nothing new', async () => {
    const deleted = fixture('gitlab-push', { [DOC_PUSH_SHA]: git.commit });
    deleted.after = '0'.repeat(40);
    deleted.checkout_sha = null;
    const res = await sendGitlab(f.app, 'Push Hook', deleted, opts('mike/diaspora'));
    expect(res.json()).toMatchObject({ result: 'ignored', ignored: 'refs/heads/master was deleted' });

    const count = await f.prisma.build.count();
    const payload = fixture('gitlab-push', { [DOC_PUSH_SHA]: git.commit, '95790bf891e76fee5e1747ab589903a6a1f80f22': 'b'.repeat(40) });
    const first = await sendGitlab(f.app, 'Push Hook', payload, opts('mike/diaspora', { idempotencyKey: 'retry-1' }));
    expect(first.statusCode, first.body).toBe(202);
    const again = await sendGitlab(f.app, 'Push Hook', payload, opts('mike/diaspora', { idempotencyKey: 'retry-1' }));
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ duplicate: true, build: { id: first.json().build.id } });
    expect(await f.prisma.build.count()).toBe(count + 1);
  });
});
