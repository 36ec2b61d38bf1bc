import { BadRequestError } from './errors.ts';

/** Row ids are UUIDs; anything else cannot exist (and must not reach Postgres as a uuid). */
export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Where a page of a newest-first list ends: its last row's (createdAt, id). */
export interface Cursor {
  createdAt: Date;
  id: string;
}

/** The opaque `nextCursor`: base64url of `[createdAt, id]`. */
export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify([c.createdAt.toISOString(), c.id])).toString('base64url');
}

export function decodeCursor(text: string): Cursor {
  try {
    const [at, id] = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as [unknown, unknown];
    const createdAt = new Date(String(at));
    if (typeof at !== 'string' || Number.isNaN(createdAt.getTime()) || typeof id !== 'string' || !UUID_RE.test(id)) throw new Error();
    return { createdAt, id };
  } catch {
    throw new BadRequestError('cursor is not valid: pass the nextCursor of a previous page unchanged', 'cursor');
  }
}

/**
 * Keyset pagination of a list ordered `createdAt DESC, id DESC` (each list has an index ending in
 * those columns): the rows after the cursor, the order, and `take` one more than the page to know
 * whether another page follows. `page` cuts the rows and gives the next cursor.
 *
 * `after` is `(createdAt, id) < cursor` spelt the way Prisma can: the OR alone is only a filter,
 * so Postgres would walk the index from the newest row and discard every row before the cursor
 * (page 1,000 reading 50,000 entries); the redundant `createdAt <= cursor` is an index bound, so
 * the scan starts at the cursor (hot-queries.test.ts checks that bound on a deep page).
 */
export function keyset(cursor: string | undefined, limit: number) {
  const c = cursor ? decodeCursor(cursor) : undefined;
  return {
    cursor: c,
    after: c ? { createdAt: { lte: c.createdAt }, OR: [{ createdAt: { lt: c.createdAt } }, { createdAt: c.createdAt, id: { lt: c.id } }] } : {},
    orderBy: [{ createdAt: 'desc' as const }, { id: 'desc' as const }],
    take: limit + 1,
    page<T extends Cursor>(rows: T[]): { rows: T[]; nextCursor: string | null } {
      const shown = rows.slice(0, limit);
      const last = shown[shown.length - 1];
      return { rows: shown, nextCursor: rows.length > limit && last ? encodeCursor(last) : null };
    },
  };
}

/**
 * `after` of keyset() as SQL, for a list read with plain SQL (infra/sql.ts): the same redundant
 * `createdAt <=` index bound. `param` adds a parameter and returns its placeholder. Timestamps are
 * `timestamp` columns holding UTC, so the cursor's instant is compared AT TIME ZONE 'UTC'.
 */
export function afterSql(c: Cursor, param: (value: unknown) => string): string {
  const at = `(${param(c.createdAt.toISOString())}::timestamptz AT TIME ZONE 'UTC')`;
  return `"createdAt" <= ${at} AND ("createdAt" < ${at} OR ("createdAt" = ${at} AND id < ${param(c.id)}::uuid))`;
}
