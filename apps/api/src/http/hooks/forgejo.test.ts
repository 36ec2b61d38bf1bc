import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Repo } from '@archway/contract';
import { commitFiles, makeGitRepo } from '../../../../../test/harness/git-repo.ts';
import { apiFixture, resolved, waitFor, type ApiFixture } from '../../testing/fixture.ts';
import { hmacHex } from './signature.ts';
import { sendForgejo } from './test-support.ts';

/** Fixtures shaped exactly like Forgejo's webhook bodies (modules/structs PushPayload, PullRequestPayload). */
function fixture(name: string, commit: string): Record<string, any> {
  const text = readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), 'utf8');
  return JSON.parse(text.replaceAll(`${'a'.repeat(34)}caffee`, commit));
}

describe('POST /hooks/forgejo', () => {
  let f: ApiFixture;
  let repo: Repo & { webhookSecret: string };
  let git: { dir: string; url: string; commit: string };
  let pr2: string;

  beforeAll(async () => {
    f = await apiFixture({ allowLocalSources: true });
    git = await makeGitRepo(join(f.tmp, 'webapp'), { Containerfile: 'FROM scratch\n' });
    execFileSync('git', ['tag', 'v2.1.0'], { cwd: git.dir });
    pr2 = await commitFiles(git.dir, { 'metrics.go': 'package main\n' }, 'metrics');
    const res = await f.app.inject({
      method: 'POST',
      url: '/api/v1/repos',
      headers: f.auth,
      payload: {
        fullName: 'alice/webapp',
        provider: 'forgejo',
        cloneUrl: git.url,
        image: 'forge.example/alice/webapp',
        webhookSecret: 'a-secret-we-chose-ourselves',
      },
    });
    expect(res.statusCode, res.body).toBe(201);
    repo = res.json();
    expect(repo.webhookSecret).toBe('a-secret-we-chose-ourselves');
    expect(repo.webhookUrl).toBe(`http://archway.test/hooks/forgejo/${repo.id}`);
  });
  afterAll(async () => {
    await f?.close();
  });

  const build = (id: string) => resolved(f, id);

  it('push to the default branch → latest and sha-<7>; a replay queues nothing', async () => {
    const payload = fixture('forgejo-push-branch', git.commit);
    const res = await sendForgejo(f.app, 'push', payload, { repoId: repo.id, secret: repo.webhookSecret, delivery: 'fj-1' });
    expect(res.statusCode, res.body).toBe(202);
    expect(await build(res.json().build.id)).toMatchObject({ tags: ['latest', `sha-${git.commit.slice(0, 7)}`], push: true, commit: git.commit, ref: 'main' });
    const count = await f.prisma.build.count();
    const again = await sendForgejo(f.app, 'push', payload, { repoId: repo.id, secret: repo.webhookSecret, delivery: 'fj-1' });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ duplicate: true, build: { id: res.json().build.id } });
    expect(await f.prisma.build.count()).toBe(count);
  });

  it('push of tag v2.1.0 → 2.1.0, 2.1, 2 and latest', async () => {
    const res = await sendForgejo(f.app, 'push', fixture('forgejo-push-tag', git.commit), { repoId: repo.id, secret: repo.webhookSecret });
    expect(res.statusCode, res.body).toBe(202);
    expect((await build(res.json().build.id)).tags).toEqual(['2.1.0', '2.1', '2', 'latest']);
  });

  it('ignores a deleted branch and the delete event', async () => {
    const res = await sendForgejo(f.app, 'push', fixture('forgejo-push-branch-deleted', git.commit), { repoId: repo.id, secret: repo.webhookSecret });
    expect(res.statusCode).toBe(202);
    expect(res.json().ignored).toBe('refs/heads/old-feature was deleted');
    const del = await sendForgejo(
      f.app,
      'delete',
      { ref: 'old-feature', ref_type: 'branch', pusher_type: 'user', repository: fixture('forgejo-push-branch', git.commit).repository, sender: {} },
      { repoId: repo.id, secret: repo.webhookSecret },
    );
    expect(del.statusCode).toBe(202);
    expect(del.json().ignored).toMatch(/event "delete" is not handled/);
  });

  it('pull_request opened and synchronized build without pushing; the newer supersedes the older; closed is ignored', async () => {
    const r1 = await sendForgejo(f.app, 'pull_request', fixture('forgejo-pull-request-opened', git.commit), { repoId: repo.id, secret: repo.webhookSecret });
    expect(r1.statusCode, r1.body).toBe(202);
    expect(await build(r1.json().build.id)).toMatchObject({ push: false, tags: [], ref: 'refs/pull/7/head', triggerRef: 'pr:7' });
    const r2 = await sendForgejo(f.app, 'pull_request', fixture('forgejo-pull-request-synchronized', pr2), {
      repoId: repo.id,
      secret: repo.webhookSecret,
      eventType: 'pull_request_sync',
    });
    expect(r2.statusCode, r2.body).toBe(202);
    expect(await build(r2.json().build.id)).toMatchObject({ status: 'queued', commit: pr2 });
    // The resolver cancels the superseded build once the newer one is queued.
    await waitFor(async () => (await build(r1.json().build.id)).status === 'canceled', 'the superseded build canceled');
    const r3 = await sendForgejo(f.app, 'pull_request', fixture('forgejo-pull-request-closed', pr2), { repoId: repo.id, secret: repo.webhookSecret });
    expect(r3.json().ignored).toMatch(/action "closed" does not build/);
  });

  it("a commit the repository lacks: the delivery is accepted, the build fails with git's reason", async () => {
    const missing = 'd'.repeat(40);
    const r1 = await sendForgejo(f.app, 'push', fixture('forgejo-push-branch', missing), {
      repoId: repo.id,
      secret: repo.webhookSecret,
      delivery: 'fj-missing',
    });
    expect(r1.statusCode, r1.body).toBe(202);
    const failed = await build(r1.json().build.id);
    expect(failed).toMatchObject({ status: 'failed', commit: missing, triggerRef: 'branch:main' });
    expect(failed.error).toMatch(/cannot read \.archway\.yaml at d{40}: .*not our ref/);
    const row = await f.prisma.webhookDelivery.findFirstOrThrow({ where: { deliveryId: 'fj-missing' } });
    expect(row).toMatchObject({ result: 'queued', buildId: failed.id });
  });

  it("accepts Gitea's own headers for a gitea repository", async () => {
    const payload = fixture('forgejo-push-branch', git.commit);
    payload.repository.full_name = 'bob/tool';
    const created = await f.app.inject({
      method: 'POST',
      url: '/api/v1/repos',
      headers: f.auth,
      payload: { fullName: 'bob/tool', provider: 'gitea', cloneUrl: git.url, defaultBranch: 'main' },
    });
    const res = await sendForgejo(f.app, 'push', payload, { repoId: created.json().id, secret: created.json().webhookSecret, gitea: true });
    expect(res.statusCode, res.body).toBe(202);
    // No image: the build runs but pushes nothing.
    expect(await build(res.json().build.id)).toMatchObject({ push: false, tags: [] });
  });

  it('a bad X-Forgejo-Signature is not rescued by a good X-Gitea-Signature; nothing is stored', async () => {
    const payload = fixture('forgejo-push-branch', git.commit);
    const body = JSON.stringify(payload, null, 2);
    const deliveries = await f.prisma.webhookDelivery.count();
    const res = await f.app.inject({
      method: 'POST',
      url: `/hooks/forgejo/${repo.id}`,
      headers: {
        'content-type': 'application/json',
        'x-forgejo-event': 'push',
        'x-forgejo-delivery': 'x1',
        'x-forgejo-signature': hmacHex('wrong-secret', Buffer.from(body)),
        'x-gitea-signature': hmacHex(repo.webhookSecret, Buffer.from(body)),
      },
      payload: body,
    });
    expect(res.statusCode).toBe(401);
    expect(res.json().message).toMatch(/X-Forgejo-Signature/);
    expect(await f.prisma.webhookDelivery.count()).toBe(deliveries);
  });
});
