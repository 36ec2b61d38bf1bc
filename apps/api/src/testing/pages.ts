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

/** Each query answers 400 naming its field: bad `limit` and `cursor` values of every paginated list. */
export const BAD_PAGE_QUERIES: [string, string][] = [
  ['limit=0', 'limit'],
  ['limit=201', 'limit'],
  ['limit=abc', 'limit'],
  ['cursor=nonsense', 'cursor'],
  [`cursor=${Buffer.from(JSON.stringify(['yesterday', 'x'])).toString('base64url')}`, 'cursor'],
];
