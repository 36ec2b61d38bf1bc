import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisKeys } from '@archway/contract';
import { apiFixture, type ApiFixture } from '../../testing/fixture.ts';

function cookieOf(setCookie: string | string[] | undefined): { header: string; name: string; value: string } {
  const raw = Array.isArray(setCookie) ? setCookie[0]! : setCookie!;
  const [pair] = raw.split(';');
  const [name, value] = pair!.split('=') as [string, string];
  return { header: raw, name, value };
}

describe('dashboard session (real Postgres and Redis)', () => {
  let f: ApiFixture;
  beforeAll(async () => {
    f = await apiFixture();
  });
  afterAll(async () => f?.close());

  async function signIn(token = f.token) {
    const res = await f.app.inject({ method: 'POST', url: '/api/v1/session', payload: { token } });
    expect(res.statusCode).toBe(201);
    const cookie = cookieOf(res.headers['set-cookie']);
    return { cookie, csrf: res.json().csrfToken as string, body: res.json() };
  }

  it('refuses a wrong token and a missing one, naming the field', async () => {
    const wrong = await f.app.inject({ method: 'POST', url: '/api/v1/session', payload: { token: 'arch_nope' } });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.headers['set-cookie']).toBeUndefined();
    const missing = await f.app.inject({ method: 'POST', url: '/api/v1/session', payload: {} });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().field).toBe('token');
    const text = await f.app.inject({ method: 'POST', url: '/api/v1/session', headers: { 'content-type': 'text/plain' }, payload: f.token });
    expect(text.statusCode).toBe(415);
  });

  it('sets an httpOnly SameSite=Strict cookie (not Secure on http) and keeps only a hash in Redis', async () => {
    const { cookie, body } = await signIn();
    expect(cookie.name).toBe('archway_session');
    expect(cookie.header).toMatch(/; HttpOnly/);
    expect(cookie.header).toMatch(/; SameSite=Strict/);
    expect(cookie.header).toMatch(/; Path=\//);
    expect(cookie.header).not.toMatch(/Secure/);
    expect(body).toMatchObject({ name: 'test admin' });
    expect(body.csrfToken).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    const keys = await f.redis.keys(redisKeys(f.prefix).session('*'));
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.some((k) => k.includes(cookie.value))).toBe(false);
    expect(await f.redis.ttl(keys[0]!)).toBeGreaterThan(3600);
  });

  it('authenticates /api/v1 reads by cookie and tells the SPA its CSRF token after a reload', async () => {
    const { cookie, csrf } = await signIn();
    const headers = { cookie: `${cookie.name}=${cookie.value}` };
    expect((await f.app.inject({ method: 'GET', url: '/api/v1/builds', headers })).statusCode).toBe(200);
    const session = await f.app.inject({ method: 'GET', url: '/api/v1/session', headers });
    expect(session.statusCode).toBe(200);
    expect(session.json()).toMatchObject({ signedIn: true, csrfToken: csrf, name: 'test admin' });
    expect((await f.app.inject({ method: 'GET', url: '/api/v1/builds' })).statusCode).toBe(401);
    const anonymous = await f.app.inject({ method: 'GET', url: '/api/v1/session' });
    expect(anonymous.statusCode).toBe(200);
    expect(anonymous.json()).toEqual({ signedIn: false });
  });

  it('requires the CSRF token and our own Origin for mutations by cookie', async () => {
    const { cookie, csrf } = await signIn();
    const url = '/api/v1/builds/00000000-0000-4000-8000-000000000000/cancel';
    const base = { cookie: `${cookie.name}=${cookie.value}` };
    const none = await f.app.inject({ method: 'POST', url, headers: base });
    expect(none.statusCode).toBe(403);
    expect(none.json().message).toMatch(/X-CSRF-Token/);
    const wrong = await f.app.inject({ method: 'POST', url, headers: { ...base, 'x-csrf-token': `${csrf.slice(0, -1)}x` } });
    expect(wrong.statusCode).toBe(403);
    const foreign = await f.app.inject({ method: 'POST', url, headers: { ...base, 'x-csrf-token': csrf, origin: 'https://evil.example' } });
    expect(foreign.statusCode).toBe(403);
    // With the token (and our origin) the request gets through auth to the route: 404, no such build.
    const ok = await f.app.inject({ method: 'POST', url, headers: { ...base, 'x-csrf-token': csrf, origin: 'http://archway.test' } });
    expect(ok.statusCode).toBe(404);
    // Bearer callers (CI) are unaffected by CSRF rules.
    expect((await f.app.inject({ method: 'POST', url, headers: f.auth })).statusCode).toBe(404);
  });

  it('ends sessions of a revoked token', async () => {
    const { createToken } = await import('../auth/tokens.ts');
    const { id, token } = await createToken(f.prisma, 'short-lived', ['read']);
    const { cookie } = await signIn(token);
    const headers = { cookie: `${cookie.name}=${cookie.value}` };
    expect((await f.app.inject({ method: 'GET', url: '/api/v1/builds', headers })).statusCode).toBe(200);
    await f.prisma.apiToken.update({ where: { id }, data: { revokedAt: new Date() } });
    expect((await f.app.inject({ method: 'GET', url: '/api/v1/builds', headers })).statusCode).toBe(401);
    expect((await f.app.inject({ method: 'GET', url: '/api/v1/session', headers })).json()).toEqual({ signedIn: false });
  });

  it('signs out: the session is gone and the cookie cleared', async () => {
    const { cookie, csrf } = await signIn();
    const headers = { cookie: `${cookie.name}=${cookie.value}` };
    expect((await f.app.inject({ method: 'DELETE', url: '/api/v1/session', headers })).statusCode).toBe(403);
    const out = await f.app.inject({ method: 'DELETE', url: '/api/v1/session', headers: { ...headers, 'x-csrf-token': csrf } });
    expect(out.statusCode).toBe(204);
    expect(cookieOf(out.headers['set-cookie']).header).toMatch(/^archway_session=; .*Max-Age=0/);
    expect((await f.app.inject({ method: 'GET', url: '/api/v1/builds', headers })).statusCode).toBe(401);
  });

  it('keeps JSON 404s under /api and the other non-dashboard paths', async () => {
    const api = await f.app.inject({ method: 'GET', url: '/api/v1/nope', headers: f.auth });
    expect(api.statusCode).toBe(404);
    expect(api.json().error).toBe('not_found');
    const hooks = await f.app.inject({ method: 'GET', url: '/hooks/nope' });
    expect(hooks.statusCode).toBe(404);
    expect(hooks.headers['content-type']).toMatch(/json/);
  });
});

describe('dashboard session behind https', () => {
  let f: ApiFixture;
  beforeAll(async () => {
    f = await apiFixture({ publicUrl: 'https://archway.example' });
  });
  afterAll(async () => f?.close());

  it('uses a Secure __Host- cookie', async () => {
    const res = await f.app.inject({ method: 'POST', url: '/api/v1/session', payload: { token: f.token } });
    expect(res.statusCode).toBe(201);
    const cookie = cookieOf(res.headers['set-cookie']);
    expect(cookie.name).toBe('__Host-archway_session');
    expect(cookie.header).toMatch(/; Secure/);
    const headers = { cookie: `${cookie.name}=${cookie.value}` };
    expect((await f.app.inject({ method: 'GET', url: '/api/v1/builds', headers })).statusCode).toBe(200);
  });
});
