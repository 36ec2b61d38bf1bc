import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../generated/prisma/client.ts';

export interface LoggedQuery {
  sql: string;
  params: unknown[];
}

/**
 * A Prisma client like the API's (createPrisma) that also records every SQL statement it sends
 * with its parameters (Prisma's `query` log events): the hot-query plans and the per-build query
 * count are taken from what the code really sends, not from hand-written copies.
 */
export function loggingPrisma(databaseUrl: string): { prisma: PrismaClient; queries: LoggedQuery[] } {
  const queries: LoggedQuery[] = [];
  const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: databaseUrl }), log: [{ emit: 'event', level: 'query' }] });
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
