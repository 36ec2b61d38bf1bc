import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Repo } from '@archway/contract';
import { BUSYBOX_CONTAINERFILE, commitFiles, makeGitRepo } from '../../../../../test/harness/git-repo.ts';
import { registerRepo, resolved, waitFor, type ApiFixture } from '../../testing/fixture.ts';
import { STATUS_QUEUE } from '../../workers/statuses/queue.ts';
import { withStatusForge } from '../../workers/statuses/test-support.ts';
import { githubExample, sendGithub } from './test-support.ts';

const ZERO = '0'.repeat(40);
const YAML = 'when:\n  branches: [main, "release/*"]\n  paths-ignore: ["docs/**", "**/*.md"]\n';

// GitHub's example push payload pointed at commits of a real repository the test makes: the
// changed files come from git (before..after), never from the payload's own file lists.
describe('when to build: skip markers and `when:` of .archway.yaml on GitHub pushes', () => {
  let f: ApiFixture;
  let env: Awaited<ReturnType<typeof withStatusForge>>;
  let forge: Awaited<ReturnType<typeof withStatusForge>>['forge'];
  let repo: Repo & { webhookSecret: string };
  let git: { dir: string; url: string; commit: string };

  beforeAll(async () => {
    env = await withStatusForge();
    ({ f, forge } = env);
    git = await makeGitRepo(join(f.tmp, 'hello'), { Containerfile: BUSYBOX_CONTAINERFILE, 'hello.txt': 'hi\n', '.archway.yaml': YAML });
    repo = await registerRepo(f, {
      fullName: 'Codertocat/Hello-World',
      provider: 'github',
      cloneUrl: git.url,
      apiUrl: env.apiUrl,
      forgeToken: 'ghp_whenToken',
      image: 'registry.example.com/hello',
      platforms: ['linux/amd64'],
    });
  });
  afterAll(async () => env?.close());

  async function pushOf(ref: string, before: string, after: string) {
    const payload = githubExample('push', (e) => e.ref === 'refs/tags/simple-tag' || e.ref?.startsWith('refs/heads/'));
    Object.assign(payload, { ref, before, after, deleted: false, created: before === ZERO });
    payload.head_commit = { ...(payload.head_commit ?? {}), id: after, message: 'the payload says nothing true', modified: ['Containerfile'] };
    const res = await sendGithub(f.app, 'push', payload, { repoId: repo.id, secret: repo.webhookSecret });
    expect([202, 200], res.body).toContain(res.statusCode);
    return res.json();
  }
  const statusesFor = (sha: string) => forge.received.filter((r) => r.path.endsWith(`/statuses/${sha}`));
  const deliveryOf = (id: string) => f.prisma.webhookDelivery.findFirstOrThrow({ where: { deliveryId: id } });
  /** The webhook accepts the push; the resolver reads the commit and ends the build `canceled` with the skip reason. */
  async function skippedBy(answer: { result: string; delivery: string; build: { id: string } }): Promise<string> {
    expect(answer).toMatchObject({ result: 'queued', build: { id: expect.any(String) } });
    const build = await resolved(f, answer.build.id);
    expect(build.status).toBe('canceled');
    expect(build.tasks).toEqual([]);
    const reason = build.error!;
    const delivery = await waitFor(async () => {
      const d = await deliveryOf(answer.delivery);
      return d.result === 'skipped' ? d : undefined;
    }, 'the delivery marked skipped');
    expect(delivery).toMatchObject({ buildId: build.id, message: reason });
    return reason;
  }

  it('a push that changed only ignored files is skipped: delivery recorded, status saying why', async () => {
    const docs = await commitFiles(git.dir, { 'docs/guide.txt': 'words\n', 'notes.md': '# n\n' }, 'docs only');
    const answer = await pushOf('refs/heads/main', git.commit, docs);
    const skipped = await skippedBy(answer);
    expect(skipped).toContain('no changed file matches the path filters');
    expect(skipped).toContain('docs/guide.txt');
    await waitFor(async () => statusesFor(docs).length === 1, 'skip status');
    expect(statusesFor(docs)[0]!.body).toMatchObject({
      state: 'success',
      description: skipped.slice(0, 140),
      context: 'archway/registry.example.com/hello',
    });
    expect(await f.prisma.task.count({ where: { build: { commit: docs } } })).toBe(0);
    git.commit = docs;
  });

  it('a push that changed a file outside the filters builds', async () => {
    const code = await commitFiles(git.dir, { 'hello.txt': 'hello again\n', 'docs/more.txt': 'x\n' }, 'code and docs');
    const answer = await pushOf('refs/heads/main', git.commit, code);
    expect(answer).toMatchObject({ result: 'queued', build: { id: expect.any(String) } });
    git.commit = code;
  });

  it('a force push (before unknown to the server) and a new branch fall back to building', async () => {
    const docs = await commitFiles(git.dir, { 'docs/third.txt': 'x\n' }, 'docs again');
    expect(await pushOf('refs/heads/main', 'f'.repeat(40), docs)).toMatchObject({ result: 'queued' });
    expect(await pushOf('refs/heads/release/1', ZERO, docs)).toMatchObject({ result: 'queued' });
    git.commit = docs;
  });

  it('a branch outside when.branches is not built and gets no status', async () => {
    const answer = await pushOf('refs/heads/feature', ZERO, git.commit);
    expect(await skippedBy(answer)).toBe('not built: branch feature matches none of when.branches (main, release/*)');
    expect(await f.queues.queue(STATUS_QUEUE).getJob(`skip-${repo.id}-${git.commit}`)).toBeUndefined();
  });

  it.each([
    ['[skip ci] tweak the greeting', 'skipped: [skip ci] in the head commit message'],
    ['tweak\n\nskip-checks: true', 'skipped: the head commit has the trailer "skip-checks: true"'],
  ])('the head commit message %j skips with a status, read from git', async (message, reason) => {
    const sha = await commitFiles(git.dir, { 'hello.txt': `${message}\n` }, message);
    const answer = await pushOf('refs/heads/main', git.commit, sha);
    expect(await skippedBy(answer)).toBe(reason);
    await waitFor(async () => statusesFor(sha).length === 1, 'skip status');
    expect(statusesFor(sha)[0]!.body).toMatchObject({ state: 'success', description: reason });
    git.commit = sha;
  });
});
