import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PUBLISH_QUEUE, type Build, type Repo } from '@archway/contract';
import { BUSYBOX_CONTAINERFILE, commitFiles, makeGitRepo } from '../../../../../test/harness/git-repo.ts';
import { registerRepo, resolved, waitFor, type ApiFixture } from '../../testing/fixture.ts';
import { createToken } from '../auth/tokens.ts';
import { sweep } from '../../workers/reconciler/test-support.ts';
import { withStatusForge } from '../../workers/statuses/test-support.ts';
import { githubExample, sendGithub, withCommit } from './test-support.ts';

/**
 * GitHub's `pull_request` `opened` example (@octokit/webhooks-examples). The package has no
 * example from a fork, so the fork case moves the example's head to a copy of its repository
 * under another owner, the shape GitHub sends for forks; the first-timer case changes only
 * `author_association`.
 */
function forkPullRequest(commit: string) {
  const payload = withCommit(
    githubExample('pull_request', (e) => e.action === 'opened'),
    commit,
  );
  const fork = structuredClone(payload.pull_request.head.repo);
  fork.full_name = 'mallory/Hello-World';
  fork.owner.login = 'mallory';
  fork.fork = true;
  payload.pull_request.head.repo = fork;
  payload.pull_request.head.label = 'mallory:main';
  payload.pull_request.user.login = 'mallory';
  payload.pull_request.author_association = 'CONTRIBUTOR';
  return payload;
}

describe('fork approval: untrusted pull requests wait for a person with the build scope', () => {
  let f: ApiFixture;
  let env: Awaited<ReturnType<typeof withStatusForge>>;
  let forge: Awaited<ReturnType<typeof withStatusForge>>['forge'];
  let repo: Repo & { webhookSecret: string };
  let commit: string;
  let n = 100;

  beforeAll(async () => {
    env = await withStatusForge();
    ({ f, forge } = env);
    const git = await makeGitRepo(join(f.tmp, 'hello'), { Containerfile: BUSYBOX_CONTAINERFILE, 'hello.txt': 'hi\n' });
    commit = await commitFiles(git.dir, { 'hello.txt': 'from a fork\n' }, 'a change from outside');
    repo = await registerRepo(f, {
      fullName: 'Codertocat/Hello-World',
      provider: 'github',
      cloneUrl: git.url,
      apiUrl: env.apiUrl,
      forgeToken: 'ghp_forkToken',
      platforms: ['linux/amd64', 'linux/arm64'],
    });
  });
  afterAll(async () => env?.close());

  async function open(payload: Record<string, any>) {
    payload.number = ++n;
    payload.pull_request.number = n;
    const res = await sendGithub(f.app, 'pull_request', payload, { repoId: repo.id, secret: repo.webhookSecret });
    expect(res.statusCode, res.body).toBe(202);
    return res.json();
  }
  const get = async (id: string): Promise<Build> => (await f.app.inject({ url: `/api/v1/builds/${id}`, headers: f.auth })).json();
  const approve = (id: string, token: string) =>
    f.app.inject({ method: 'POST', url: `/api/v1/builds/${id}/approve`, headers: { authorization: `Bearer ${token}` } });

  it('a fork’s pull request waits: nothing in Redis, a pending status saying so, the reconciler leaves it alone', async () => {
    const answer = await open(forkPullRequest(commit));
    expect(answer).toMatchObject({ result: 'queued', message: expect.stringMatching(/^build accepted: resolving pr:\d+ at /) });
    const id = answer.build.id as string;
    // The resolver reads the commit, then moves the build to waiting-for-approval (tasks, no jobs).
    expect((await resolved(f, id)).status).toBe('waiting_for_approval');
    const build = await get(id);
    expect(build).toMatchObject({
      status: 'waiting-for-approval',
      approval: { reason: 'the pull request comes from the fork mallory/Hello-World', approvedBy: null, approvedAt: null },
      push: false,
    });
    expect(build.tasks.map((t) => t.status)).toEqual(['queued', 'queued']);
    expect(await f.queues.queue(PUBLISH_QUEUE).getJob(id)).toBeUndefined();
    await waitFor(async () => forge.received.some((r) => (r.body.target_url as string).endsWith(id)), 'waiting status');
    expect(forge.received.find((r) => (r.body.target_url as string).endsWith(id))!.body).toMatchObject({
      state: 'pending',
      description: 'Waiting for approval: the pull request comes from the fork mallory/Hello-World',
    });
    // Old enough for every deadline: a queued build without jobs would be queued again or failed.
    await sweep(f, { graceMs: 0, queueWaitLimitMs: 1 });
    expect((await get(id)).status).toBe('waiting-for-approval');
    expect(await f.queues.queue(PUBLISH_QUEUE).getJob(id)).toBeUndefined();
  });

  it('approving needs the build scope; then the flow is queued, once, and the approver recorded', async () => {
    const id = (await open(forkPullRequest(commit))).build.id as string;
    expect((await resolved(f, id)).status).toBe('waiting_for_approval');
    const reader = await createToken(f.prisma, 'reader', ['read']);
    expect((await approve(id, reader.token)).statusCode).toBe(403);
    expect((await get(id)).status).toBe('waiting-for-approval');

    const maintainer = await createToken(f.prisma, 'maintainer', ['build']);
    const res = await approve(id, maintainer.token);
    expect(res.statusCode, res.body).toBe(202);
    expect(res.json()).toMatchObject({ status: 'queued', approval: { approvedBy: 'maintainer', approvedAt: expect.any(String) } });
    const parent = await f.queues.queue(PUBLISH_QUEUE).getJob(id);
    expect(await parent!.getState()).toBe('waiting-children');
    expect((await parent!.getDependencies()).unprocessed).toHaveLength(2);

    const again = await approve(id, maintainer.token);
    expect(again.statusCode).toBe(409);
    expect(again.json().message).toBe(`build ${id} is queued: only builds waiting for approval can be approved`);
  });

  it('a first-time contributor’s pull request from the repository itself waits too', async () => {
    const payload = withCommit(
      githubExample('pull_request', (e) => e.action === 'opened'),
      commit,
    );
    payload.pull_request.author_association = 'FIRST_TIME_CONTRIBUTOR';
    const answer = await open(payload);
    expect(await resolved(f, answer.build.id)).toMatchObject({
      status: 'waiting_for_approval',
      approvalReason: 'Codertocat is a first-time contributor (author_association FIRST_TIME_CONTRIBUTOR)',
    });
  });

  it('a waiting build can be canceled', async () => {
    const id = (await open(forkPullRequest(commit))).build.id as string;
    expect((await resolved(f, id)).status).toBe('waiting_for_approval');
    const res = await f.app.inject({ method: 'POST', url: `/api/v1/builds/${id}/cancel`, headers: f.auth });
    expect(res.statusCode, res.body).toBe(200);
    expect((await get(id)).status).toBe('canceled');
    expect((await approve(id, f.token)).statusCode).toBe(409);
  });

  it('the repository setting turns it off: a fork’s pull request builds at once', async () => {
    const patched = await f.app.inject({ method: 'PATCH', url: `/api/v1/repos/${repo.id}`, headers: f.auth, payload: { requireApproval: false } });
    expect(patched.json()).toMatchObject({ requireApproval: false });
    const answer = await open(forkPullRequest(commit));
    expect((await resolved(f, answer.build.id)).status).toBe('queued');
    expect(await f.queues.queue(PUBLISH_QUEUE).getJob(answer.build.id)).toBeDefined();
  });
});
