import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from '../generated/prisma/client.ts';
import { attachSql, poolSql } from './sql.ts';

export type { PrismaClient };

/**
 * The API's Postgres client (Prisma 7 with the node-postgres driver adapter). Its pool also runs
 * the hot-path statements of sql.ts (sqlOf); `$disconnect()` ends the pool.
 */
export function createPrisma(databaseUrl: string): PrismaClient {
  const pool = postgresPool(databaseUrl);
  const prisma = new PrismaClient({ adapter: prismaAdapter(pool) });
  attachSql(prisma, poolSql(pool));
  return prisma;
}

/** The pool under a Prisma client, shared by its adapter and its `Sql`. */
export function postgresPool(databaseUrl: string): pg.Pool {
  const pool = new pg.Pool({ connectionString: databaseUrl });
  // An idle connection that dies (Postgres restarted) is dropped from the pool and the next query
  // opens another. Without a listener node-postgres would throw the error out of the process.
  pool.on('error', () => {});
  return pool;
}

/** Prisma's adapter on that pool; the client's `$disconnect()` ends it. */
export function prismaAdapter(pool: pg.Pool): PrismaPg {
  return new PrismaPg(pool, { disposeExternalPool: true });
}

/** Prisma's error code (e.g. P2002 unique violation), if the error carries one. */
export function prismaCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('P') ? code : undefined;
}
