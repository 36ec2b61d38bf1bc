import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '@archway/runtime';
import { apiFixture, makeGitRepo, resolved, type ApiFixture } from '../../testing/fixture.ts';

// ARCHWAY_ALLOW_LOCAL_SOURCES unset (the API's default): file:// and private-address sources
// are refused before any connection, with answers that do not depend on what listens there.
describe('local sources refused by default', () => {
  let f: ApiFixture;
  let listening: ReturnType<typeof createServer>;
  let connections = 0;
  let openPort: number;

  beforeAll(async () => {
    f = await apiFixture();
    listening = createServer((s) => {
      connections++;
      s.destroy();
    });
    await new Promise<void>((r) => listening.listen(0, '127.0.0.1', r));
    openPort = (listening.address() as { port: number }).port;
  });
  afterAll(async () => {
    listening?.close();
    await f?.close();
  });

  const build = (url: string) =>
    f.app.inject({ method: 'POST', url: '/api/v1/builds', headers: f.auth, payload: { source: { url }, push: false, platforms: ['linux/amd64'] } });

  it('file:// → 422 naming the setting; nothing created', async () => {
    const repo = await makeGitRepo(f.tmp);
    const res = await build(repo.url);
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({ error: 'unprocessable', field: 'source.url', message: expect.stringContaining('ARCHWAY_ALLOW_LOCAL_SOURCES=true') });
    expect(await f.prisma.build.count()).toBe(0);
  });

  it('an open and a closed loopback port get the same answer, and no connection is made', async () => {
    const closedPort = await freePort();
    const open = await build(`http://127.0.0.1:${openPort}/repo.git`);
    const closed = await build(`http://127.0.0.1:${closedPort}/repo.git`);
    expect(open.statusCode).toBe(422);
    expect(closed.statusCode).toBe(422);
    expect(open.body).toBe(closed.body);
    expect(open.body).not.toContain(String(openPort));
    expect(connections).toBe(0);
  });

  it('private, link-local, IPv6 and IPv4-mapped addresses → 422; a name resolving to loopback fails the build with the same reason', async () => {
    // A host name needs DNS: the resolver decides it behind the answer, with the same message.
    const named = await build(`http://localhost:${openPort}/r.git`);
    expect(named.statusCode).toBe(202);
    const failed = await resolved(f, named.json().id);
    expect(failed).toMatchObject({ status: 'failed', tasks: [] });
    expect(failed.error).toMatch(/^source\.url: localhost is a loopback, private or link-local address .*ARCHWAY_ALLOW_LOCAL_SOURCES/);
    await f.prisma.build.deleteMany();
    for (const url of [
      'http://[::1]/r.git',
      'http://[::ffff:127.0.0.1]/r.git',
      'http://169.254.169.254/latest/meta-data',
      'https://10.1.2.3/r.git',
      'git@192.168.1.1:team/r.git',
      'ssh://git@[fe80::1]/r.git',
      'http://2130706433/r.git',
    ]) {
      const res = await build(url);
      expect(res.statusCode, url).toBe(422);
      expect(res.json().message, url).toMatch(/is a loopback, private or link-local address .*ARCHWAY_ALLOW_LOCAL_SOURCES/);
    }
    expect(connections).toBe(0);
    expect(await f.prisma.build.count()).toBe(0);
  });

  it('a repository with a local clone URL cannot be registered (field cloneUrl); nothing stored', async () => {
    const repo = await makeGitRepo(f.tmp);
    for (const cloneUrl of [repo.url, `http://127.0.0.1:${openPort}/r.git`]) {
      const res = await f.app.inject({
        method: 'POST',
        url: '/api/v1/repos',
        headers: f.auth,
        payload: { fullName: 'acme/local', provider: 'github', cloneUrl },
      });
      expect(res.statusCode, cloneUrl).toBe(422);
      expect(res.json().field).toBe('cloneUrl');
    }
    expect(await f.prisma.repo.count()).toBe(0);
  });
});
