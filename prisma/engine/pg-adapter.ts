import { randomUUID } from 'node:crypto';
import { PrismaPg } from '@prisma/adapter-pg';
import { ColumnTypeEnum, bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils';
import pg from 'pg';

/**
 * A driver-adapter factory for the schema engine, built on @prisma/adapter-pg 7.10.1 with three
 * fixes (re-check them when upgrading; see /work/shared/prisma-offline.md):
 * 1. Postgres' internal "char" type (OID 18, e.g. pg_constraint.contype) is reported as the
 *    Character column type instead of being rejected, so the engine can describe a schema.
 * 2. Shadow databases are created by us, one fresh database per request, on the same server:
 *    the stock connectToShadowDb() would connect to the main database and reset it.
 * 3. executeScript sends the whole script as one query: Postgres runs a multi-statement simple
 *    query as one transaction, so a migration is atomic and `$$` bodies stay intact.
 */
export interface MigrationAdapter {
  factory: object;
  /** Ends every pool we opened and drops shadow databases still alive. */
  close(): Promise<void>;
}

const PG_CHAR_OID = 18;
const PG_TEXT_OID = 25;

export function createMigrationAdapter(databaseUrl: string): MigrationAdapter {
  const closers = new Set<() => Promise<void>>();
  const track = (fn: () => Promise<void>) => {
    let done: Promise<void> | undefined;
    const once = () => (done ??= fn().finally(() => closers.delete(once)));
    closers.add(once);
    return once;
  };

  const connectTo = async (url: string, onDispose?: () => Promise<void>) => {
    // One connection: the engine's advisory lock and its statements must share a session, and
    // idle connections must not be closed under it.
    const pool = new pg.Pool({ connectionString: url, max: 1, idleTimeoutMillis: 0 });
    const end = track(async () => {
      await pool.end();
      await onDispose?.();
    });
    const adapter = await new PrismaPg(pool).connect();
    patchQueryable(adapter);
    patchStartTransaction(adapter);
    (adapter as unknown as { executeScript(s: string): Promise<void> }).executeScript = async (script) => {
      try {
        await pool.query(script);
      } catch (error) {
        (adapter as unknown as { onError(e: unknown): never }).onError(error);
      }
    };
    (adapter as unknown as { dispose(): Promise<void> }).dispose = end;
    return adapter;
  };

  const connectToShadowDb = async () => {
    const name = `prisma_migrate_shadow_db_${randomUUID().replace(/-/g, '')}`;
    await adminQuery(databaseUrl, `CREATE DATABASE "${name}"`);
    const url = new URL(databaseUrl);
    url.pathname = `/${name}`;
    return connectTo(url.toString(), () => adminQuery(databaseUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
  };

  const factory = bindMigrationAwareSqlAdapterFactory({
    provider: 'postgres',
    adapterName: '@prisma/adapter-pg',
    connect: () => connectTo(databaseUrl),
    connectToShadowDb,
  } as unknown as Parameters<typeof bindMigrationAwareSqlAdapterFactory>[0]);

  return {
    factory,
    async close() {
      await Promise.allSettled([...closers].map((c) => c()));
    },
  };
}

async function adminQuery(databaseUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

type Query = { sql: string; args: unknown[]; argTypes: unknown[] };
type ResultSet = { columnTypes: number[] };
type PgResult = { fields: { dataTypeID: number }[] };
type Queryable = {
  performIO(q: Query): Promise<PgResult>;
  queryRaw(q: Query): Promise<ResultSet>;
};

/** Fix 1: map OID 18 to text for adapter-pg's converter, then report it as Character. */
function patchQueryable(target: unknown): void {
  const q = target as Queryable;
  const charColumns = new WeakMap<Query, number[]>();
  const performIO = q.performIO.bind(q);
  const queryRaw = q.queryRaw.bind(q);
  q.performIO = async (query) => {
    const result = await performIO(query);
    const indexes: number[] = [];
    result.fields.forEach((field, i) => {
      if (field.dataTypeID === PG_CHAR_OID) {
        field.dataTypeID = PG_TEXT_OID;
        indexes.push(i);
      }
    });
    if (indexes.length > 0) charColumns.set(query, indexes);
    return result;
  };
  q.queryRaw = async (query) => {
    const result = await queryRaw(query);
    for (const i of charColumns.get(query) ?? []) result.columnTypes[i] = ColumnTypeEnum.Character;
    return result;
  };
}

function patchStartTransaction(target: unknown): void {
  const a = target as { startTransaction(...args: unknown[]): Promise<unknown> };
  const start = a.startTransaction.bind(a);
  a.startTransaction = async (...args) => {
    const tx = await start(...args);
    patchQueryable(tx);
    return tx;
  };
}
