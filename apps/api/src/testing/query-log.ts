import { PrismaClient } from '../generated/prisma/client.ts';
import { postgresPool, prismaAdapter } from '../infra/db.ts';
import { attachSql, poolSql } from '../infra/sql.ts';

export interface LoggedQuery {
  sql: string;
  params: unknown[];
}

/**
 * A Prisma client like the API's (createPrisma) that also records every SQL statement it sends
 * with its parameters (Prisma's `query` log events, and the hot-path statements of infra/sql.ts
 * as they are sent to the pool): the hot-query plans and the per-build query
 * count are taken from what the code really sends, not from hand-written copies.
 */
export function loggingPrisma(databaseUrl: string): { prisma: PrismaClient; queries: LoggedQuery[] } {
  const queries: LoggedQuery[] = [];
  const pool = postgresPool(databaseUrl);
  const prisma = new PrismaClient({ adapter: prismaAdapter(pool), log: [{ emit: 'event', level: 'query' }] });
  attachSql(
    prisma,
    poolSql(pool, (sql, params) => queries.push({ sql, params: [...params] })),
  );
  prisma.$on('query', (e) => {
    let params: unknown[] = [];
    try {
      params = JSON.parse(e.params) as unknown[];
    } catch {
      // not JSON (none): no parameters
    }
    queries.push({ sql: e.query, params });
  });
  return { prisma, queries };
}
