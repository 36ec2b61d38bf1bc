import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisKeys } from '@archway/contract';
import { apiFixture, type ApiFixture } from '../../testing/fixture.ts';

// The per-address throttle of failed authentications, on the real API with Redis. Each test uses
// its own client address (app.inject's remoteAddress).
describe('authentication throttle', () => {
  let f: ApiFixture;
  let other: ApiFixture['app'];
  beforeAll(async () => {
    f = await apiFixture({ authFailureLimit: 3, authFailureWindowMs: 120_000 });
  });
  afterAll(async () => {
    await other?.close();
    await f?.close();
  });

  const builds = (remoteAddress: string, authorization: string) => f.app.inject({ url: '/api/v1/builds', headers: { authorization }, remoteAddress });

  it('three wrong bearer tokens → 429 with Retry-After for that address, even with the right token', async () => {
    const ip = '192.0.2.10';
    expect((await builds(ip, 'Bearer arch_guess1')).statusCode).toBe(401);
    expect((await builds(ip, 'Bearer arch_guess2')).statusCode).toBe(401);
    // A malformed header is a failed attempt too.
    expect((await builds(ip, 'Basic Zm9vOmJhcg==')).statusCode).toBe(401);
    const blocked = await builds(ip, `Bearer ${f.token}`);
    expect(blocked.statusCode).toBe(429);
    expect(blocked.json()).toMatchObject({
      error: 'too_many_requests',
      message: expect.stringMatching(/too many failed authentication attempts from this address: try again in \d+ s/),
    });
    const retryAfter = Number(blocked.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(120);
    // The count lives in Redis (shared by replicas) and expires with the window.
    const key = redisKeys(f.prefix).authFailures(ip);
    expect(await f.redis.get(key)).toBe('3');
    expect(await f.redis.pttl(key)).toBeGreaterThan(0);
  });

  it("another address's success neither resets nor is affected by the blocked one; no credential is not a failure", async () => {
    const blockedIp = '192.0.2.20';
    for (let i = 0; i < 3; i++) await builds(blockedIp, 'Bearer arch_guess');
    expect((await builds('192.0.2.21', `Bearer ${f.token}`)).statusCode).toBe(200);
    expect((await builds(blockedIp, `Bearer ${f.token}`)).statusCode).toBe(429);
    for (let i = 0; i < 5; i++) expect((await f.app.inject({ url: '/api/v1/builds', remoteAddress: '192.0.2.22' })).statusCode).toBe(401);
    expect((await builds('192.0.2.22', `Bearer ${f.token}`)).statusCode).toBe(200);
  });

  it('failed dashboard sign-ins count; the blocked address cannot sign in even with the right token', async () => {
    const ip = '192.0.2.30';
    const signIn = (token: string) => f.app.inject({ method: 'POST', url: '/api/v1/session', payload: { token }, remoteAddress: ip });
    for (let i = 0; i < 3; i++) expect((await signIn('arch_nope')).statusCode).toBe(401);
    const res = await signIn(f.token);
    expect(res.statusCode).toBe(429);
    expect(res.headers['set-cookie']).toBeUndefined();
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('another API replica on the same Redis sees the same count', async () => {
    const { buildApp } = await import('../../app.ts');
    other = await buildApp({ ...f.deps });
    const ip = '192.0.2.40';
    for (let i = 0; i < 3; i++) await builds(ip, 'Bearer arch_guess');
    const res = await other.inject({ url: '/api/v1/builds', headers: { authorization: `Bearer ${f.token}` }, remoteAddress: ip });
    expect(res.statusCode).toBe(429);
  });
});
