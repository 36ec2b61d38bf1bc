import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Job } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildQueueName, parsePlatform, storedPlatform, type BuildJob } from '@archway/contract';
import { BuildSecretError, buildSecretKey, openBuildSecret } from '@archway/runtime';
import { createSecretBox } from '../../infra/secrets/secret-box.ts';
import { apiFixture, makeGitRepo, resolved, type ApiFixture } from '../../testing/fixture.ts';

const AGENT_KEY = buildSecretKey('agent-secret-key-for-api-tests-0123456789');
const TOKEN = 'tok-7f3a9c1e5b2d4f60-VALUE';
const NPMRC = '//registry.npmjs.org/:_authToken=npm_Q2xlYXJUZXh0\nalways-auth=true';

describe('repository build secrets, time limit and attempts', () => {
  let f: ApiFixture;
  let git: { url: string; commit: string };
  let id: string;

  beforeAll(async () => {
    f = await apiFixture({ allowLocalSources: true, secretBox: createSecretBox(randomBytes(32)), agentSecretKey: AGENT_KEY, buildAttempts: 4 });
    const repo = await makeGitRepo(f.tmp, 'secrets');
    execFileSync('git', ['update-ref', 'refs/pull/1/head', repo.commit], { cwd: repo.dir }); // where forges keep a PR's head
    git = repo;
  });
  afterAll(async () => {
    await f?.close();
  });

  const call = (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object) =>
    f.app.inject({ method, url: `/api/v1${url}`, headers: f.auth, ...(payload ? { payload } : {}) });
  const noValues = (text: string, what: string) => {
    for (const v of [TOKEN, NPMRC, 'npm_Q2xlYXJUZXh0', 'sealed-again-value']) expect(text.includes(v), `${what} contains a secret value`).toBe(false);
  };
  /** The child jobs of a build: payload and options as BullMQ stores them. */
  const childJobs = async (buildId: string) => {
    const build = await f.prisma.build.findUniqueOrThrow({ where: { id: buildId }, include: { tasks: true } });
    return Promise.all(
      build.tasks.map(async (task) => {
        const job = (await Job.fromId(f.queues.queue(buildQueueName(storedPlatform(task.platform))), task.id))!;
        const raw = await f.redis.hget(`${f.prefix}:${buildQueueName(storedPlatform(task.platform))}:${task.id}`, 'data');
        return { task, job, data: job.data as BuildJob, raw: raw ?? '' };
      }),
    );
  };
  const buildRepo = async (ref = 'main') => {
    const res = await call('POST', `/repos/${id}/builds`, { ref });
    expect(res.statusCode, res.body).toBe(202);
    expect((await resolved(f, res.json().id)).status).toBe('queued');
    return res.json().id as string;
  };

  it('stores secrets sealed and answers only their ids; the time limit as a duration', async () => {
    const res = await call('POST', '/repos', {
      fullName: 'acme/secrets',
      provider: 'github',
      cloneUrl: git.url,
      platforms: ['linux/amd64', 'linux/arm64'],
      secrets: { token: TOKEN, 'npm.rc': NPMRC },
      buildTimeout: '30m',
    });
    expect(res.statusCode, res.body).toBe(201);
    id = res.json().id;
    expect(res.json()).toMatchObject({ secrets: ['npm.rc', 'token'], buildTimeout: '30m', pullRequestSecrets: false });
    noValues(res.body, 'the create answer');
    for (const url of ['/repos', `/repos/${id}`]) {
      const shown = await call('GET', url);
      expect(shown.json().secrets ?? shown.json().items[0].secrets).toEqual(['npm.rc', 'token']);
      noValues(shown.body, `GET ${url}`);
    }
    const [row] = await f.prisma.$queryRaw<{ text: string }[]>`SELECT row_to_json(r)::text AS text FROM "Repo" r WHERE id = ${id}::uuid`;
    noValues(row!.text, 'the Postgres row');
    expect(Object.keys(JSON.parse(row!.text).buildSecrets).sort()).toEqual(['npm.rc', 'token']);
  });

  it("seals each secret for each task with the agents' key; timeout and attempts reach the jobs", async () => {
    const buildId = await buildRepo();
    const children = await childJobs(buildId);
    expect(children).toHaveLength(2);
    for (const { task, job, data, raw } of children) {
      expect(data.timeoutMs).toBe(30 * 60_000);
      expect(job.opts.attempts).toBe(4);
      expect(data.secrets!.map((s) => s.id)).toEqual(['npm.rc', 'token']);
      const opened = Object.fromEntries(data.secrets!.map((s) => [s.id, openBuildSecret(AGENT_KEY, task.id, s.id, s.sealed)]));
      expect(opened).toEqual({ token: TOKEN, 'npm.rc': NPMRC });
      noValues(raw, 'the job payload in Redis');
      // Bound to the task: another task's id (or another secret id) does not open it.
      const other = children.find((c) => c.task.id !== task.id)!.task.id;
      const sealed = data.secrets!.find((s) => s.id === 'token')!.sealed;
      expect(() => openBuildSecret(AGENT_KEY, other, 'token', sealed)).toThrow(BuildSecretError);
      expect(() => openBuildSecret(AGENT_KEY, task.id, 'npm.rc', sealed)).toThrow(BuildSecretError);
    }
    noValues((await call('GET', `/builds/${buildId}`)).body, 'GET /builds/:id');
  });

  it('PATCH sets and removes single secrets; a rebuild seals the current ones again for its new tasks', async () => {
    const res = await call('PATCH', `/repos/${id}`, { secrets: { token: 'sealed-again-value', 'npm.rc': null }, buildTimeout: '1h30m' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ secrets: ['token'], buildTimeout: '1h30m' });
    noValues(res.body, 'the PATCH answer');
    // The one duration grammar: a fraction is the same limit, given back normalised.
    const fraction = await call('PATCH', `/repos/${id}`, { buildTimeout: '1.5h' });
    expect(fraction.json(), fraction.body).toMatchObject({ buildTimeout: '1h30m' });
    const first = await buildRepo();
    const again = await call('POST', `/builds/${first}/rebuild`);
    expect(again.statusCode, again.body).toBe(202);
    await resolved(f, again.json().id);
    for (const buildId of [first, again.json().id as string]) {
      for (const { task, data, job } of await childJobs(buildId)) {
        expect(data.secrets!.map((s) => s.id)).toEqual(['token']);
        expect(openBuildSecret(AGENT_KEY, task.id, 'token', data.secrets![0]!.sealed)).toBe('sealed-again-value');
        expect(data.timeoutMs).toBe(90 * 60_000);
        expect(job.opts.attempts).toBe(4);
      }
    }
    // Untouched ids stay; null brings the agents' default time limit back.
    const kept = await call('PATCH', `/repos/${id}`, { secrets: { extra: 'x' }, buildTimeout: null });
    expect(kept.json()).toMatchObject({ secrets: ['extra', 'token'], buildTimeout: null });
    const { data } = (await childJobs(await buildRepo()))[0]!;
    expect(data.timeoutMs).toBeUndefined();
    await call('PATCH', `/repos/${id}`, { secrets: { extra: null } });
  });

  it('pull request builds get the secrets only with pullRequestSecrets', async () => {
    const without = (await childJobs(await buildRepo('refs/pull/1/head')))[0]!;
    expect(without.data.secrets).toBeUndefined();
    const res = await call('PATCH', `/repos/${id}`, { pullRequestSecrets: true });
    expect(res.json()).toMatchObject({ pullRequestSecrets: true });
    const withSecrets = (await childJobs(await buildRepo('refs/pull/1/head')))[0]!;
    expect(openBuildSecret(AGENT_KEY, withSecrets.task.id, 'token', withSecrets.data.secrets![0]!.sealed)).toBe('sealed-again-value');
    await call('PATCH', `/repos/${id}`, { pullRequestSecrets: false });
  });

  it('builds without a repository use ARCHWAY_BUILD_ATTEMPTS and carry no secrets', async () => {
    const res = await call('POST', '/builds', { source: { url: git.url, ref: 'main' }, platforms: ['linux/amd64'], push: false });
    expect(res.statusCode, res.body).toBe(202);
    await resolved(f, res.json().id);
    const { job, data } = (await childJobs(res.json().id))[0]!;
    expect(job.opts.attempts).toBe(4);
    expect(data.secrets).toBeUndefined();
    expect(data.timeoutMs).toBeUndefined();
  });

  it('fails the build, naming the variable, when the API has no agent key; nothing is queued', async () => {
    // Its own API (and resolver) without the agents' key.
    const { agentSecretKey: _, ...withoutKey } = f.deps;
    const g = await apiFixture({ allowLocalSources: true, secretBox: withoutKey.secretBox, buildAttempts: 4 });
    try {
      const created = await g.app.inject({
        method: 'POST',
        url: '/api/v1/repos',
        headers: g.auth,
        payload: { fullName: 'acme/secrets', provider: 'github', cloneUrl: git.url, platforms: ['linux/amd64'], secrets: { token: TOKEN } },
      });
      expect(created.statusCode, created.body).toBe(201);
      const repoId = created.json().id as string;
      const res = await g.app.inject({ method: 'POST', url: `/api/v1/repos/${repoId}/builds`, headers: g.auth, payload: { ref: 'main' } });
      expect(res.statusCode, res.body).toBe(202);
      const failed = await resolved(g, res.json().id);
      expect(failed).toMatchObject({ status: 'failed', tasks: [] });
      expect(failed.error).toMatch(/acme\/secrets has build secrets \(token\).*ARCHWAY_AGENT_SECRET_KEY \(or ARCHWAY_AGENT_SECRET_KEY_FILE\)/);
      noValues(failed.error!, 'the reason');
      expect(await g.queues.queue(buildQueueName(parsePlatform('linux/amd64'))).getWaitingCount()).toBe(0);
      // A pull request build, which gets no secrets, still builds.
      const pr = await g.app.inject({ method: 'POST', url: `/api/v1/repos/${repoId}/builds`, headers: g.auth, payload: { ref: 'refs/pull/1/head' } });
      expect(pr.statusCode, pr.body).toBe(202);
      expect((await resolved(g, pr.json().id)).status).toBe('queued');
    } finally {
      await g.close();
    }
  });

  it('refuses bad secret ids, empty values and bad time limits, naming the field', async () => {
    const cases: [object, RegExp][] = [
      [{ secrets: { 'bad id': 'x' } }, /^secrets/],
      [{ secrets: { ['x'.repeat(65)]: 'x' } }, /^secrets/],
      [{ secrets: { ok: '' } }, /^secrets\.ok: a secret value must not be empty/],
      [{ buildTimeout: 'soon' }, /^buildTimeout: must be a duration/],
      [{ buildTimeout: '30' }, /^buildTimeout: must be a duration/],
      [{ buildTimeout: '10s' }, /^buildTimeout: must be between 1m and 24h/],
      [{ buildTimeout: '2d' }, /^buildTimeout: must be between 1m and 24h/],
    ];
    for (const [body, message] of cases) {
      const res = await call('PATCH', `/repos/${id}`, body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json().message).toMatch(message);
    }
    expect((await call('GET', `/repos/${id}`)).json()).toMatchObject({ secrets: ['token'], buildTimeout: null });
  });
});
