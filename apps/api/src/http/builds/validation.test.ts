import { createServer, type AddressInfo, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PUBLISH_QUEUE, redisKeys } from '@archway/contract';
import { apiFixture, makeGitRepo, resolved, type ApiFixture } from '../../testing/fixture.ts';

// Every bad request is answered 4xx naming the field, and leaves nothing behind: no rows, no jobs.
let f: ApiFixture;
let repo: { url: string; commit: string };

beforeAll(async () => {
  // No recorder and no resolver: "nothing stored" below also means no events stream and no resolve
  // queue under the prefix.
  f = await apiFixture({ allowLocalSources: true }, { recorder: false, resolver: false });
  repo = await makeGitRepo(f.tmp);
});

// What needs git is decided by the resolver behind the answer: the build is accepted (202,
// `resolving`) and then fails with git's reason — no task, no flow. (The offline checks above stay 422.)
describe('POST /api/v1/builds: what git says fails the build', () => {
  let g: ApiFixture;
  const held: Socket[] = [];
  const silent = createServer((socket) => held.push(socket)); // accepts, never speaks
  beforeAll(async () => {
    g = await apiFixture({ allowLocalSources: true, gitTimeoutMs: 3000 });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  });
  afterAll(async () => {
    for (const socket of held) socket.destroy();
    silent.close();
    await g?.close();
  });

  async function failedWith(source: { url: string; ref?: string }): Promise<string> {
    const res = await g.app.inject({ method: 'POST', url: '/api/v1/builds', headers: g.auth, payload: { ...valid(), source } });
    expect(res.statusCode).toBe(202);
    expect(res.json().status).toBe('resolving');
    const build = await resolved(g, res.json().id);
    expect(build).toMatchObject({ status: 'failed', tasks: [] });
    expect(build.finishedAt).not.toBeNull();
    expect(await g.queues.queue(PUBLISH_QUEUE).getJob(build.id)).toBeUndefined();
    const shown = await g.app.inject({ method: 'GET', url: `/api/v1/builds/${build.id}`, headers: g.auth });
    expect(shown.json()).toMatchObject({ status: 'failed', error: build.error });
    return build.error!;
  }

  it("fails a build of a ref that does not exist with git's answer", async () => {
    const error = await failedWith({ url: repo.url, ref: 'no-such-branch' });
    expect(error).toMatch(/^cannot resolve ref "no-such-branch" of .*: git ls-remote found no branch or tag of that name$/);
  });

  it("fails a build of a repository that does not exist with git's message", async () => {
    expect(await failedWith({ url: `file://${g.tmp}/missing-repo`, ref: 'main' })).toMatch(/does not appear to be a git repository/);
  });

  it('fails a build whose git server does not answer in time, and the answer did not wait for it', async () => {
    const port = (silent.address() as AddressInfo).port;
    const started = Date.now();
    const res = await g.app.inject({
      method: 'POST',
      url: '/api/v1/builds',
      headers: g.auth,
      payload: { ...valid(), source: { url: `git://127.0.0.1:${port}/repo.git` } },
    });
    expect(res.statusCode).toBe(202);
    expect(Date.now() - started).toBeLessThan(3000); // answered before git's deadline
    const build = await resolved(g, res.json().id);
    expect(build.status).toBe('failed');
    expect(build.error).toContain('did not answer within 3 s');
  });
});
afterAll(async () => f?.close());

const valid = () => ({
  source: { url: repo.url, ref: 'main' },
  platforms: ['linux/amd64', 'linux/arm64'],
  image: 'registry.example.com/me/app',
  tags: ['1.0'],
});

async function nothingStored(): Promise<void> {
  expect(await f.prisma.build.count()).toBe(0);
  expect(await f.prisma.task.count()).toBe(0);
  // Every BullMQ key lives under the prefix: none means no job, no queue. (A failed
  // authentication is counted on purpose: the per-address throttle's key is not a build.)
  const throttle = redisKeys(f.prefix).authFailures('');
  expect((await f.redis.keys(`${f.prefix}:*`)).filter((k) => !k.startsWith(throttle))).toEqual([]);
}

async function post(body: unknown, headers: Record<string, string> = {}) {
  return f.app.inject({
    method: 'POST',
    url: '/api/v1/builds',
    headers: { ...f.auth, 'content-type': 'application/json', ...headers },
    payload: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

describe('POST /api/v1/builds rejects bad input', () => {
  const cases: [string, () => unknown, string][] = [
    ['an unknown platform', () => ({ ...valid(), platforms: ['linux/foo'] }), 'platforms.0'],
    ['an absolute containerfile', () => ({ ...valid(), containerfile: '/etc/passwd' }), 'containerfile'],
    ['a context leaving the repository', () => ({ ...valid(), context: '../x' }), 'context'],
    ['an invalid image name', () => ({ ...valid(), image: 'Bad/Name:tag' }), 'image'],
    ['an invalid tag', () => ({ ...valid(), tags: ['no spaces!'] }), 'tags.0'],
    ['a missing source.url', () => ({ ...valid(), source: { ref: 'main' } }), 'source.url'],
    ['an unknown field', () => ({ ...valid(), extra: 1 }), 'extra'],
    [
      'an unknown field in source (a typo must not build main)',
      () => ({ ...valid(), source: { url: 'https://git.example.com/a.git', branch: 'dev' } }),
      'source.branch',
    ],
    ['a repeated platform', () => ({ ...valid(), platforms: ['linux/amd64', 'amd64'] }), 'platforms'],
    ['a source.url starting with "-"', () => ({ ...valid(), source: { url: '--upload-pack=touch /tmp/x' } }), 'source.url'],
    ['a source.url with the ext:: transport', () => ({ ...valid(), source: { url: 'ext::sh -c touch% /tmp/pwned' } }), 'source.url'],
    ['a source.url with an unsupported scheme', () => ({ ...valid(), source: { url: 'ftp://example.com/x.git' } }), 'source.url'],
  ];
  for (const [name, body, field] of cases) {
    it(`answers 400 for ${name}`, async () => {
      const res = await post(body());
      expect(res.statusCode, res.body).toBe(400);
      const err = res.json();
      expect(err.error).toBe('bad_request');
      if (field) expect(err.field).toBe(field);
      if (field === 'source.url' && name.includes('missing')) expect(err.message).toBe('source.url: is required');
      expect(err.message).toMatch(/\S/);
      await nothingStored();
    });
  }

  it('answers 400 "invalid JSON body" for a body that is not JSON', async () => {
    const res = await post('{"source": ');
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: 'bad_request', message: 'invalid JSON body' });
    await nothingStored();
  });

  it('answers 415 for a body that is not application/json', async () => {
    const res = await post('source=x', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(res.statusCode).toBe(415);
    expect(res.json().message).toContain('application/json');
    const text = await post(JSON.stringify(valid()), { 'content-type': 'text/plain' });
    expect(text.statusCode).toBe(415);
    await nothingStored();
  });

  it('answers 413 giving the limit for a body over 1 MiB', async () => {
    const big = { ...valid(), buildArgs: Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`A${i}`, 'x'.repeat(60_000)])) };
    const res = await post(big);
    expect(res.statusCode).toBe(413);
    expect(res.json().message).toContain('1 MiB (1048576 bytes)');
    await nothingStored();
  });
});

describe('authentication', () => {
  it('answers 401 with WWW-Authenticate without a token', async () => {
    const res = await f.app.inject({ method: 'POST', url: '/api/v1/builds', payload: valid() });
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer');
    expect(res.json().error).toBe('unauthorized');
    await nothingStored();
  });

  it('answers 401 for a wrong token and for a revoked one', async () => {
    const wrong = await post(valid(), { authorization: 'Bearer arch_not-a-real-token' });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.headers['www-authenticate']).toBe('Bearer');

    const { createToken } = await import('../auth/tokens.ts');
    const revoked = await createToken(f.prisma, 'old', ['admin']);
    await f.prisma.apiToken.update({ where: { id: revoked.id }, data: { revokedAt: new Date() } });
    const res = await post(valid(), { authorization: `Bearer ${revoked.token}` });
    expect(res.statusCode).toBe(401);
    expect(res.json().message).toBe(wrong.json().message); // unknown and revoked look the same
    await nothingStored();
  });

  it('answers 403 when the token lacks the scope', async () => {
    const { createToken } = await import('../auth/tokens.ts');
    const reader = await createToken(f.prisma, 'reader', ['read']);
    const res = await post(valid(), { authorization: `Bearer ${reader.token}` });
    expect(res.statusCode).toBe(403);
    expect(res.json().message).toContain('"build" scope');
    const list = await f.app.inject({ method: 'GET', url: '/api/v1/builds', headers: { authorization: `Bearer ${reader.token}` } });
    expect(list.statusCode).toBe(200);
    await nothingStored();
  });

  it('accepts other credentials through app.apiAuthenticators (the dashboard session), scopes still apply', async () => {
    const { buildApp } = await import('../../app.ts');
    const app = await buildApp(f.deps);
    app.apiAuthenticators.push(async (request) =>
      request.headers.cookie === 'session=good' ? { id: 'session-1', name: 'dashboard', scopes: ['read'] } : null,
    );
    try {
      const ok = await app.inject({ method: 'GET', url: '/api/v1/builds', headers: { cookie: 'session=good' } });
      expect(ok.statusCode).toBe(200);
      const bad = await app.inject({ method: 'GET', url: '/api/v1/builds', headers: { cookie: 'session=bad' } });
      expect(bad.statusCode).toBe(401);
      const post = await app.inject({ method: 'POST', url: '/api/v1/builds', headers: { cookie: 'session=good' }, payload: valid() });
      expect(post.statusCode).toBe(403);
      await nothingStored();
    } finally {
      await app.close();
    }
  });
});
