import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisKeys, type Repo } from '@archway/contract';
import { commitFiles, makeGitRepo } from '../../../../../test/harness/git-repo.ts';
import { apiFixture, type ApiFixture } from '../../testing/fixture.ts';
import { githubExample, sendForgejo, sendGithub, withCommit } from './test-support.ts';

// Webhook abuse: signature before body and repository, uniform answers, replays of a captured
// body under new delivery ids, and the per-address throttle. Real API, Postgres, Redis and git.
describe('webhook abuse', () => {
  let f: ApiFixture;
  let repo: Repo & { webhookSecret: string };
  let forgejoRepo: Repo & { webhookSecret: string };
  let git: { dir: string; url: string; commit: string };
  let second: string;
  const WINDOW_MS = 3_600_000;

  beforeAll(async () => {
    f = await apiFixture({
      allowLocalSources: true,
      hookBodyLimit: 64 * 1024,
      hookReplayWindowMs: WINDOW_MS,
      authFailureLimit: 3,
      authFailureWindowMs: 60_000,
    });
    git = await makeGitRepo(join(f.tmp, 'hello-world'), { Containerfile: 'FROM scratch\n' });
    second = await commitFiles(git.dir, { 'b.txt': 'b' }, 'second');
    const create = async (payload: object) => {
      const res = await f.app.inject({ method: 'POST', url: '/api/v1/repos', headers: f.auth, payload });
      expect(res.statusCode, res.body).toBe(201);
      return res.json();
    };
    repo = await create({ fullName: 'Codertocat/Hello-World', provider: 'github', cloneUrl: git.url, defaultBranch: 'master' });
    forgejoRepo = await create({ fullName: 'alice/webapp', provider: 'forgejo', cloneUrl: git.url });
  });
  afterAll(async () => {
    await f?.close();
  });

  const push = (commit = git.commit) =>
    withCommit(
      githubExample('push', (e) => e.ref === 'refs/heads/master' && !e.deleted),
      commit,
    );
  const counts = async () => [await f.prisma.build.count(), await f.prisma.webhookDelivery.count()];

  it('a missing signature is refused before the body is read: 401, even for a body over the limit', async () => {
    const before = await counts();
    const big = push();
    big.padding = 'x'.repeat(200 * 1024);
    const res = await sendGithub(f.app, 'push', big, { repoId: repo.id, secret: repo.webhookSecret, signature: null, remoteAddress: '10.1.0.1' });
    expect(res.statusCode).toBe(401);
    expect(res.json().message).toMatch(/X-Hub-Signature-256 signature does not verify/);
    expect(await counts()).toEqual(before);
  });

  it('the signature is checked before the body is parsed: malformed JSON with a wrong signature → 401, not 400', async () => {
    const res = await sendGithub(f.app, 'push', undefined, { repoId: repo.id, secret: 'wrong', rawBody: '{"ref": ', remoteAddress: '10.1.0.2' });
    expect(res.statusCode).toBe(401);
    const signed = await sendGithub(f.app, 'push', undefined, { repoId: repo.id, secret: repo.webhookSecret, rawBody: '{"ref": ', remoteAddress: '10.1.0.2' });
    expect(signed.statusCode).toBe(400);
    expect(signed.json().message).toMatch(/malformed JSON/);
  });

  it("another forge's repository id answers like a wrong signature", async () => {
    const before = await counts();
    const wrong = await sendGithub(f.app, 'push', push(), { repoId: repo.id, secret: 'wrong', remoteAddress: '10.1.0.3' });
    const otherForge = await sendGithub(f.app, 'push', push(), { repoId: forgejoRepo.id, secret: forgejoRepo.webhookSecret, remoteAddress: '10.1.0.4' });
    expect(otherForge.statusCode).toBe(401);
    expect(otherForge.body).toBe(wrong.body);
    expect(await counts()).toEqual(before);
  });

  it('the URL without a repository id → 410 saying where webhooks go now; nothing stored', async () => {
    const before = await counts();
    const res = await f.app.inject({
      method: 'POST',
      url: '/hooks/github',
      headers: { 'content-type': 'application/json', 'x-github-event': 'push' },
      payload: JSON.stringify(push()),
    });
    expect(res.statusCode).toBe(410);
    expect(res.json().message).toMatch(/webhookUrl \(http:\/\/archway\.test\/hooks\/github\/<repository id>/);
    expect(await counts()).toEqual(before);
  });

  it('a replayed push under a new delivery id is ignored as a duplicate of the first; the log shows it', async () => {
    const body = push();
    const first = await sendGithub(f.app, 'push', body, { repoId: repo.id, secret: repo.webhookSecret, delivery: 'orig-1' });
    expect(first.statusCode, first.body).toBe(202);
    expect(first.json().result).toBe('queued');
    const builds = await f.prisma.build.count();

    const replay = await sendGithub(f.app, 'push', body, { repoId: repo.id, secret: repo.webhookSecret, delivery: 'replay-1' });
    expect(replay.statusCode, replay.body).toBe(202);
    expect(replay.json()).toMatchObject({ result: 'ignored', delivery: 'replay-1' });
    expect(replay.json().ignored).toMatch(/^duplicate of delivery orig-1: the same push of branch:master at [0-9a-f]{40} arrived within 1h$/);
    expect(await f.prisma.build.count()).toBe(builds);
    const log = (await f.app.inject({ url: `/api/v1/repos/${repo.id}/deliveries`, headers: f.auth })).json().items as any[];
    expect(log.find((d) => d.deliveryId === 'replay-1')).toMatchObject({
      result: 'ignored',
      message: expect.stringMatching(/^duplicate of delivery orig-1/),
      buildId: null,
    });

    // Remembered for the configured window, not forever.
    const keys = await f.redis.keys(redisKeys(f.prefix).hookEvent(repo.id, '*'));
    const ttls = await Promise.all(keys.map((k) => f.redis.pttl(k)));
    expect(ttls.length).toBeGreaterThan(0);
    for (const t of ttls) {
      expect(t).toBeGreaterThan(0);
      expect(t).toBeLessThanOrEqual(WINDOW_MS);
    }
  });

  it('the branch moved away and back (A → B → A) is a new event and builds', async () => {
    const toB = push(second);
    toB.before = git.commit;
    const r1 = await sendGithub(f.app, 'push', toB, { repoId: repo.id, secret: repo.webhookSecret });
    expect(r1.json().result).toBe('queued');
    const backToA = push(git.commit);
    backToA.before = second;
    const r2 = await sendGithub(f.app, 'push', backToA, { repoId: repo.id, secret: repo.webhookSecret });
    expect(r2.statusCode, r2.body).toBe(202);
    expect(r2.json().result).toBe('queued');
  });

  it('after 3 failures at one webhook URL an address gets 429 there with Retry-After, even with the right secret; other URLs, other addresses and its API tokens are unaffected', async () => {
    const bad = '10.9.9.9';
    for (let i = 0; i < 3; i++) {
      const res = await sendGithub(f.app, 'push', push(), { repoId: repo.id, secret: 'guess', remoteAddress: bad });
      expect(res.statusCode).toBe(401);
    }
    const before = await counts();
    const blocked = await sendGithub(f.app, 'push', push(second), { repoId: repo.id, secret: repo.webhookSecret, remoteAddress: bad });
    expect(blocked.statusCode).toBe(429);
    const retryAfter = Number(blocked.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(blocked.json().message).toMatch(/too many failed authentication attempts/);
    expect(await counts()).toEqual(before);
    // Forges deliver every customer's hooks from shared addresses: a count per address and URL keeps
    // someone's misconfigured hook from throttling other repositories or the API from there.
    const otherUrl = await sendForgejo(
      f.app,
      'push',
      { ...push(second), ref: 'refs/heads/from-bad', repository: { full_name: 'alice/webapp' } },
      { repoId: forgejoRepo.id, secret: forgejoRepo.webhookSecret, remoteAddress: bad },
    );
    expect(otherUrl.statusCode, otherUrl.body).toBe(202);
    expect((await f.app.inject({ url: '/api/v1/builds', headers: f.auth, remoteAddress: bad })).statusCode).toBe(200);
    // Another address is not affected either.
    const fine = await sendForgejo(
      f.app,
      'push',
      { ...push(second), ref: 'refs/heads/other', repository: { full_name: 'alice/webapp' } },
      { repoId: forgejoRepo.id, secret: forgejoRepo.webhookSecret, remoteAddress: '10.9.9.10' },
    );
    expect(fine.statusCode, fine.body).toBe(202);
    expect((await f.app.inject({ url: '/api/v1/builds', headers: f.auth, remoteAddress: '10.9.9.10' })).statusCode).toBe(200);
  });
});
