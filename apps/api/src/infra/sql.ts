import type pg from 'pg';
import type { PrismaClient } from '../generated/prisma/client.ts';

/**
 * Parameterised SQL sent straight to node-postgres, for the few statements on the busiest request
 * paths (the token lookup of every API request, the INSERT of every accepted build). Prisma's
 * query interpreter costs about 0.3 ms of CPU for a findUnique and 0.5 ms for a create on this
 * machine, against 0.05–0.1 ms here, and the API is CPU-bound when builds pour in (bench/scale
 * part A). Everything else stays on Prisma: it is the same database, pool and connections.
 * Prisma's types do not check this SQL against schema.prisma: a migration that changes these
 * columns must change the statements too (every API test runs both, so a mismatch fails them).
 */
export interface Sql {
  query<Row>(text: string, params: readonly unknown[]): Promise<Row[]>;
}

/** A failed statement of `Sql`; `cause` is node-postgres's error (unavailable.ts reads it). */
export class SqlError extends Error {
  override readonly name = 'SqlError';
  constructor(cause: unknown) {
    super(`database query failed: ${(cause as Error)?.message ?? String(cause)}`, { cause });
  }
}

const byClient = new WeakMap<object, Sql>();

/** Runs `Sql` statements on the pool under a Prisma client (createPrisma's), failures as SqlError. */
export function poolSql(pool: pg.Pool, onQuery?: (text: string, params: readonly unknown[]) => void): Sql {
  return {
    async query<Row>(text: string, params: readonly unknown[]) {
      onQuery?.(text, params);
      try {
        return (await pool.query(text, params as unknown[])).rows as Row[];
      } catch (err) {
        throw new SqlError(err);
      }
    },
  };
}

/** Binds `sql` to the Prisma client on the same pool (db.ts and the query log do). */
export function attachSql(prisma: object, sql: Sql): void {
  byClient.set(prisma, sql);
}

/** The `Sql` of a Prisma client made by createPrisma (or the tests' loggingPrisma). */
export function sqlOf(prisma: PrismaClient): Sql {
  const sql = byClient.get(prisma);
  if (!sql) throw new Error('this Prisma client was not made by createPrisma: it has no pool for hot-path SQL');
  return sql;
}
