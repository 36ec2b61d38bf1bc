import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiFixture, type ApiFixture } from '../../testing/fixture.ts';
import { hashToken } from '../auth/tokens.ts';

describe('/api/v1/tokens', () => {
  let f: ApiFixture;
  beforeAll(async () => {
    f = await apiFixture();
  });
  afterAll(async () => {
    await f?.close();
  });

  it('creates a token shown once and stored hashed; its scopes apply; revoking ends it', async () => {
    const res = await f.app.inject({ method: 'POST', url: '/api/v1/tokens', headers: f.auth, payload: { name: 'ci reader', scopes: ['read'] } });
    expect(res.statusCode, res.body).toBe(201);
    const created = res.json();
    expect(created).toMatchObject({ name: 'ci reader', scopes: ['read'], revokedAt: null, token: expect.stringMatching(/^arch_/) });
    const row = await f.prisma.apiToken.findUniqueOrThrow({ where: { id: created.id } });
    expect(row.hash).toBe(hashToken(created.token));

    const list = await f.app.inject({ url: '/api/v1/tokens', headers: f.auth });
    expect(list.body).not.toContain(created.token);
    expect(list.body).not.toContain(row.hash);
    expect(list.json().items.map((t: { id: string }) => t.id)).toContain(created.id);

    const bearer = { authorization: `Bearer ${created.token}` };
    expect((await f.app.inject({ url: '/api/v1/builds', headers: bearer })).statusCode).toBe(200);
    expect((await f.app.inject({ method: 'POST', url: '/api/v1/builds', headers: bearer, payload: {} })).statusCode).toBe(403);
    expect((await f.app.inject({ url: '/api/v1/tokens', headers: bearer })).statusCode).toBe(403);

    const revoked = await f.app.inject({ method: 'DELETE', url: `/api/v1/tokens/${created.id}`, headers: f.auth });
    expect(revoked.statusCode).toBe(200);
    expect(revoked.json().revokedAt).not.toBeNull();
    expect((await f.app.inject({ url: '/api/v1/builds', headers: bearer })).statusCode).toBe(401);
  });

  it('checks input', async () => {
    const none = await f.app.inject({ method: 'POST', url: '/api/v1/tokens', headers: f.auth, payload: { name: 'x', scopes: [] } });
    expect(none.statusCode).toBe(400);
    expect(none.json().field).toBe('scopes');
    const bad = await f.app.inject({ method: 'POST', url: '/api/v1/tokens', headers: f.auth, payload: { name: 'x', scopes: ['root'] } });
    expect(bad.json().field).toBe('scopes.0');
    expect((await f.app.inject({ method: 'DELETE', url: '/api/v1/tokens/nope', headers: f.auth })).statusCode).toBe(404);
  });
});
