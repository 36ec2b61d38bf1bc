import { expect } from 'vitest';
import type { ApiFixture } from './fixture.ts';

/**
 * Reads a keyset-paginated list (`?limit=` … `&cursor=`) to its end with pages of `limit`, calling
 * `between` after each page (to create rows while paging); the ids in the order the pages gave them.
 */
export async function readAllPages(f: ApiFixture, url: string, limit: number, between?: () => Promise<void>): Promise<string[]> {
  const seen: string[] = [];
  let cursor: string | null = null;
  const sep = url.includes('?') ? '&' : '?';
  do {
    const res = await f.app.inject({ url: `${url}${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, headers: f.auth });
    expect(res.statusCode, res.body).toBe(200);
    const page = res.json() as { items: { id: string }[]; nextCursor: string | null };
    expect(page.items.length).toBeLessThanOrEqual(limit);
    seen.push(...page.items.map((t) => t.id));
    cursor = page.nextCursor;
    await between?.();
  } while (cursor);
  return seen;
}

/**
 * The keyset promise of a list at `url`: with rows made by `make` (three in the same millisecond, so
 * a page ends inside the tie; then four more), reading it in pages of two while a new row arrives
 * after each page gives exactly the rows there were at the start, in `newestFirst`'s order.
 */
export async function expectKeysetPages(
  f: ApiFixture,
  url: string,
  make: (createdAt: Date) => Promise<{ id: string }>,
  newestFirst: () => Promise<{ id: string }[]>,
): Promise<string[]> {
  const tie = new Date(Date.now() - 60_000);
  for (let i = 0; i < 3; i++) await make(tie);
  for (let i = 0; i < 4; i++) await make(new Date(Date.now() - 30_000 + i));
  const before = (await newestFirst()).map((r) => r.id);
  const added: string[] = [];
  const seen = await readAllPages(f, url, 2, async () => {
    added.push((await make(new Date())).id);
  });
  expect(seen).toEqual(before);
  for (const id of added) expect(seen).not.toContain(id);
  return added;
}

/** Bad `limit` and `cursor` values of every paginated list, with the field the 400 must name. */
const BAD_PAGE_QUERIES: [string, string][] = [
  ['limit=0', 'limit'],
  ['limit=201', 'limit'],
  ['limit=abc', 'limit'],
  ['cursor=nonsense', 'cursor'],
  [`cursor=${Buffer.from(JSON.stringify(['yesterday', 'x'])).toString('base64url')}`, 'cursor'],
];

/** Each bad page query of `url` answers 400 naming its field, and `count()` (the rows) stays the same. */
export async function expectBadPagesRefused(f: ApiFixture, url: string, count: () => Promise<number>): Promise<void> {
  const before = await count();
  for (const [query, field] of BAD_PAGE_QUERIES) {
    const res = await f.app.inject({ url: `${url}${url.includes('?') ? '&' : '?'}${query}`, headers: f.auth });
    expect(res.statusCode, query).toBe(400);
    expect(res.json().field, query).toBe(field);
  }
  expect(await count()).toBe(before);
}
