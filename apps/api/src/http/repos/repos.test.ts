import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiFixture, makeGitRepo, resolved, type ApiFixture } from '../../testing/fixture.ts';
import { createToken } from '../auth/tokens.ts';

describe('/api/v1/repos', () => {
  let f: ApiFixture;
  let git: { dir: string; url: string; commit: string };
  let id: string;
  let secret: string;

  beforeAll(async () => {
    f = await apiFixture({ allowLocalSources: true });
    git = await makeGitRepo(f.tmp, 'app');
  });
  afterAll(async () => {
    await f?.close();
  });

  const call = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object, headers = f.auth) =>
    f.app.inject({ method, url: `/api/v1${url}`, headers, ...(payload ? { payload } : {}) });

  it('registers a repository: the webhook secret is shown once, secrets are sealed at rest and never returned', async () => {
    const res = await call('POST', '/repos', {
      fullName: 'acme/app',
      provider: 'github',
      cloneUrl: git.url,
      image: 'registry.example.com/acme/app',
      platforms: ['linux/amd64', 'arm64'],
      buildArgs: { VERSION: '1' },
      tagRules: { semverLatest: 'always' },
      forgeToken: 'ghp_supersecrettoken',
    });
    expect(res.statusCode, res.body).toBe(201);
    const repo = res.json();
    id = repo.id;
    secret = repo.webhookSecret;
    expect(repo).toMatchObject({
      fullName: 'acme/app',
      defaultBranch: 'main',
      platforms: ['linux/amd64', 'linux/arm64'],
      hasForgeToken: true,
      webhookUrl: expect.stringMatching(/^http:\/\/archway\.test\/hooks\/github\/[0-9a-f-]{36}$/),
      tagRules: { defaultBranchLatest: true, defaultBranchSha: true, branches: true, semver: true, semverLatest: 'always', otherTags: true },
      cancelSuperseded: { branches: false, pullRequests: true },
    });
    expect(secret.length).toBeGreaterThanOrEqual(32);
    expect(res.headers.location).toBe(`http://archway.test/api/v1/repos/${id}`);

    const row = await f.prisma.repo.findUniqueOrThrow({ where: { id } });
    expect(row.webhookSecret).not.toContain(secret);
    expect(row.forgeToken).not.toContain('ghp_');
    for (const url of ['/repos', `/repos/${id}`]) {
      const shown = (await call('GET', url)).body;
      expect(shown).not.toContain(secret);
      expect(shown).not.toContain('ghp_supersecrettoken');
      expect(shown).not.toContain('webhookSecret');
    }
  });

  it('never shows credentials inside clone URLs, and keeps the stored ones when the masked URL is sent back', async () => {
    const withCreds = 'https://bot:s3cret-token@git.example.com/acme/creds.git';
    const res = await call('POST', '/repos', { fullName: 'acme/creds', provider: 'forgejo', cloneUrl: withCreds });
    expect(res.statusCode, res.body).toBe(201);
    const repo = res.json();
    expect(repo.cloneUrl).toBe('https://***:***@git.example.com/acme/creds.git');
    for (const url of ['/repos', `/repos/${repo.id}`]) expect((await call('GET', url)).body).not.toContain('s3cret-token');
    expect((await f.prisma.repo.findUniqueOrThrow({ where: { id: repo.id } })).cloneUrl).toBe(withCreds);

    // A client edits the path of the URL it was shown.
    const patched = await call('PATCH', `/repos/${repo.id}`, { cloneUrl: 'https://***:***@git.example.com/acme/creds-renamed.git' });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json().cloneUrl).toBe('https://***:***@git.example.com/acme/creds-renamed.git');
    expect((await f.prisma.repo.findUniqueOrThrow({ where: { id: repo.id } })).cloneUrl).toBe(
      'https://bot:s3cret-token@git.example.com/acme/creds-renamed.git',
    );
    // The mask never carries the stored token to another server, or from https to http.
    for (const elsewhere of ['https://***:***@evil.example/acme/creds.git', 'http://***:***@git.example.com/acme/creds.git']) {
      const moved = await call('PATCH', `/repos/${repo.id}`, { cloneUrl: elsewhere });
      expect(moved.statusCode, elsewhere).toBe(400);
      expect(moved.json()).toMatchObject({ field: 'cloneUrl', message: expect.stringContaining('same scheme, host and port') });
    }
    expect((await f.prisma.repo.findUniqueOrThrow({ where: { id: repo.id } })).cloneUrl).toBe(
      'https://bot:s3cret-token@git.example.com/acme/creds-renamed.git',
    );
    // New credentials replace the stored ones.
    await call('PATCH', `/repos/${repo.id}`, { cloneUrl: 'https://bot:rotated@git.example.com/acme/creds.git' });
    expect((await f.prisma.repo.findUniqueOrThrow({ where: { id: repo.id } })).cloneUrl).toBe('https://bot:rotated@git.example.com/acme/creds.git');

    const build = await f.prisma.build.create({ data: { sourceUrl: withCreds, ref: 'main', platforms: ['linux/amd64'], tags: [] } });
    const shown = await call('GET', `/builds/${build.id}`);
    expect(shown.json().source.url).toBe('https://***:***@git.example.com/acme/creds.git');
    expect((await call('GET', '/builds')).body).not.toContain('s3cret-token');
    await call('DELETE', `/repos/${repo.id}`);
  });

  it('refuses a second registration (any case), bad input naming the field, and non-admin tokens', async () => {
    const dup = await call('POST', '/repos', { fullName: 'ACME/App', provider: 'github', cloneUrl: git.url });
    expect(dup.statusCode).toBe(409);
    expect(dup.json()).toMatchObject({ field: 'fullName', message: expect.stringContaining(id) });
    const bad = [
      [{ provider: 'github', cloneUrl: git.url }, 'fullName'],
      [{ fullName: 'no-slash', provider: 'github', cloneUrl: git.url }, 'fullName'],
      [{ fullName: 'a/b', provider: 'bitbucket', cloneUrl: git.url }, 'provider'],
      [{ fullName: 'group/sub/b', provider: 'github', cloneUrl: git.url }, 'fullName'],
      [{ fullName: 'a/b', provider: 'github', cloneUrl: '--upload-pack=x' }, 'cloneUrl'],
      [{ fullName: 'a/b', provider: 'github', cloneUrl: git.url, platforms: ['linux/foo'] }, 'platforms.0'],
      [{ fullName: 'a/b', provider: 'github', cloneUrl: git.url, webhookSecret: 'short' }, 'webhookSecret'],
      [{ fullName: 'a/b', provider: 'github', cloneUrl: git.url, tagRules: { nope: true } }, 'tagRules.nope'],
    ] as const;
    for (const [payload, field] of bad) {
      const res = await call('POST', '/repos', payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(res.json().field, res.body).toBe(field);
    }
    const { token } = await createToken(f.prisma, 'ci', ['build']);
    const forbidden = await call('POST', '/repos', { fullName: 'x/y', provider: 'github', cloneUrl: git.url }, { authorization: `Bearer ${token}` });
    expect(forbidden.statusCode).toBe(403);
    expect((await call('GET', '/repos', undefined, { authorization: `Bearer ${token}` })).statusCode).toBe(200);
  });

  it('finds by full name, updates partially, rotates the secret and removes the forge token', async () => {
    const found = (await call('GET', '/repos?fullName=Acme/App')).json();
    expect(found.items.map((r: { id: string }) => r.id)).toEqual([id]);
    await call('PATCH', `/repos/${id}`, { cancelSuperseded: { pullRequests: false } });
    const patched = await call('PATCH', `/repos/${id}`, {
      tagRules: { branches: false },
      cancelSuperseded: { branches: true },
      forgeToken: null,
      rotateWebhookSecret: true,
    });
    expect(patched.statusCode, patched.body).toBe(200);
    const repo = patched.json();
    expect(repo.tagRules).toMatchObject({ branches: false, semverLatest: 'always' });
    expect(repo.cancelSuperseded).toEqual({ branches: true, pullRequests: false });
    expect(repo.hasForgeToken).toBe(false);
    expect(repo.webhookSecret).toBeDefined();
    expect(repo.webhookSecret).not.toBe(secret);
    const noImage = (await call('PATCH', `/repos/${id}`, { image: null })).json();
    expect(noImage.image).toBeNull();
    expect('webhookSecret' in noImage).toBe(false);
    expect((await call('PATCH', `/repos/${id}`, { image: 'registry.example.com/acme/app' })).statusCode).toBe(200);
    expect((await call('GET', '/repos/00000000-0000-0000-0000-000000000000')).statusCode).toBe(404);
  });

  it('POST /repos/:id/builds builds a branch or a tag of the registered repository', async () => {
    const main = await call('POST', `/repos/${id}/builds`, {});
    expect(main.statusCode, main.body).toBe(202);
    expect(main.json()).toMatchObject({ status: 'resolving', canceled: [], error: null });
    const b1 = await resolved(f, main.json().id);
    expect(b1).toMatchObject({
      status: 'queued',
      ref: 'main',
      commit: git.commit,
      tags: ['latest', `sha-${git.commit.slice(0, 7)}`],
      trigger: 'repo',
      repoId: id,
      triggerRef: 'branch:main',
      buildArgs: { VERSION: '1' },
      push: true,
    });

    const tag = await call('POST', `/repos/${id}/builds`, { ref: 'v1.0' });
    expect(tag.statusCode, tag.body).toBe(202);
    // `v1.0` is not semver (no patch): its sanitised name.
    // An annotated tag builds its commit, not the tag object.
    expect(await resolved(f, tag.json().id)).toMatchObject({ tags: ['v1.0'], commit: git.commit });

    // A commit may be named, but only the one the ref points at (an annotated tag: its commit).
    const pinned = await call('POST', `/repos/${id}/builds`, { ref: 'v1.0', commit: git.commit });
    expect(pinned.statusCode, pinned.body).toBe(202);
    expect((await resolved(f, pinned.json().id)).status).toBe('queued');
    // What git says is the build's outcome: accepted, then failed with the same reasons a 422 gave.
    const other = 'f'.repeat(40);
    const foreign = await call('POST', `/repos/${id}/builds`, { ref: 'main', commit: other });
    expect(foreign.statusCode).toBe(202);
    expect(await resolved(f, foreign.json().id)).toMatchObject({
      status: 'failed',
      commit: null,
      tasks: [],
      error: `commit ${other} is not the head of refs/heads/main (${git.commit}): leave "commit" out to build the head, or build that commit with POST /api/v1/builds`,
    });
    expect(await f.prisma.build.count({ where: { commit: other } })).toBe(0);

    const missing = await call('POST', `/repos/${id}/builds`, { ref: 'nope' });
    expect(missing.statusCode).toBe(202);
    const nope = await resolved(f, missing.json().id);
    expect(nope.status).toBe('failed');
    expect(nope.error).toContain('no branch or tag "nope"');
  });

  it('deleting a repository keeps its builds', async () => {
    const before = await f.prisma.build.count({ where: { repoId: id } });
    expect(before).toBeGreaterThan(0);
    expect((await call('DELETE', `/repos/${id}`)).statusCode).toBe(204);
    expect((await call('GET', `/repos/${id}`)).statusCode).toBe(404);
    expect(await f.prisma.build.count({ where: { repoId: null, sourceUrl: git.url } })).toBe(before);
  });
});
