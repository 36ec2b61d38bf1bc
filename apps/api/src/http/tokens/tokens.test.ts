import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TokenList } from '@archway/contract';
import { apiFixture, waitFor, type ApiFixture } from '../../testing/fixture.ts';
import { hashToken } from '../auth/tokens.ts';
import { expectBadPagesRefused, expectKeysetPages } from '../../testing/pages.ts';

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
    // Its use is stamped (off the request path), in UTC as Prisma reads it.
    const used = await waitFor(async () => (await f.prisma.apiToken.findUniqueOrThrow({ where: { id: created.id } })).lastUsedAt, 'lastUsedAt', 10_000);
    expect(Math.abs(used!.getTime() - Date.now())).toBeLessThan(60_000);
    expect((await f.app.inject({ method: 'POST', url: '/api/v1/builds', headers: bearer, payload: {} })).statusCode).toBe(403);
    expect((await f.app.inject({ url: '/api/v1/tokens', headers: bearer })).statusCode).toBe(403);

    const revoked = await f.app.inject({ method: 'DELETE', url: `/api/v1/tokens/${created.id}`, headers: f.auth });
    expect(revoked.statusCode).toBe(200);
    expect(revoked.json().revokedAt).not.toBeNull();
    expect((await f.app.inject({ url: '/api/v1/builds', headers: bearer })).statusCode).toBe(401);
  });

  it("stamps a token's use again once the last stamp is over a minute old", async () => {
    const created = (await f.app.inject({ method: 'POST', url: '/api/v1/tokens', headers: f.auth, payload: { name: 'stale', scopes: ['read'] } })).json();
    const longAgo = new Date(Date.now() - 5 * 60_000);
    await f.prisma.apiToken.update({ where: { id: created.id }, data: { lastUsedAt: longAgo } });
    expect((await f.app.inject({ url: '/api/v1/builds', headers: { authorization: `Bearer ${created.token}` } })).statusCode).toBe(200);
    const stamped = await waitFor(
      async () => {
        const at = (await f.prisma.apiToken.findUniqueOrThrow({ where: { id: created.id } })).lastUsedAt;
        return at && at.getTime() > longAgo.getTime() ? at : undefined;
      },
      'a new lastUsedAt',
      10_000,
    );
    expect(Math.abs(stamped.getTime() - Date.now())).toBeLessThan(60_000);
  });

  it('checks input', async () => {
    const none = await f.app.inject({ method: 'POST', url: '/api/v1/tokens', headers: f.auth, payload: { name: 'x', scopes: [] } });
    expect(none.statusCode).toBe(400);
    expect(none.json().field).toBe('scopes');
    const bad = await f.app.inject({ method: 'POST', url: '/api/v1/tokens', headers: f.auth, payload: { name: 'x', scopes: ['root'] } });
    expect(bad.json().field).toBe('scopes.0');
    expect((await f.app.inject({ method: 'DELETE', url: '/api/v1/tokens/nope', headers: f.auth })).statusCode).toBe(404);
  });

  it('pages newest first with the cursor: no duplicates, no gaps, tokens created meanwhile shift nothing', async () => {
    let n = 0;
    const added = await expectKeysetPages(
      f,
      '/api/v1/tokens',
      (createdAt) => f.prisma.apiToken.create({ data: { name: `page ${++n}`, hash: `page-${n}-${createdAt.getTime()}`, scopes: ['read'], createdAt } }),
      () => f.prisma.apiToken.findMany({ orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] }),
    );
    // The first page now starts with the tokens created while paging (the newest ones).
    const first = (await f.app.inject({ url: `/api/v1/tokens?limit=${added.length}`, headers: f.auth })).json() as TokenList;
    expect(new Set(first.items.map((t) => t.id))).toEqual(new Set(added));
    expect(first.nextCursor).not.toBeNull();
  });

  it('answers 400 naming limit or cursor when they are bad, and changes nothing', async () => {
    await expectBadPagesRefused(f, '/api/v1/tokens', () => f.prisma.apiToken.count());
  });
});
