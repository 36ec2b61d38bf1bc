import { createHash, randomUUID } from 'node:crypto';
import { cp, mkdir, mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase } from '../test/support/db.ts';
import { DEFAULT_MIGRATIONS_DIR, DEFAULT_SCHEMA } from './engine/session.ts';
import { createMigration, deployMigrations, migrationStatus } from './migrate.ts';

const TABLES = [
  'Agent',
  'ApiToken',
  'BaseImageWatch',
  'Build',
  'IdempotencyKey',
  'Notification',
  'NotificationDelivery',
  'Phase',
  'Repo',
  'Schedule',
  'Task',
  'TaskAttempt',
  'WebhookDelivery',
  '_prisma_migrations',
];
let admin: pg.Client;
let tmp: string;

beforeAll(async () => {
  admin = new pg.Client({ connectionString: inject('pgUrlPattern').replace('{db}', 'postgres') });
  await admin.connect();
  tmp = await mkdtemp(join(inject('tmpRoot'), 'migrate-'));
});
afterAll(async () => {
  await admin.end();
});

/** An empty database (not the migrated template). */
async function emptyDatabase(): Promise<string> {
  const name = `m_${randomUUID().replace(/-/g, '')}`;
  await admin.query(`CREATE DATABASE ${name}`);
  return inject('pgUrlPattern').replace('{db}', name);
}

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

const tablesOf = async (url: string) =>
  (await query<{ t: string }>(url, "SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")).map((r) => r.t);

async function committedMigrations(): Promise<string[]> {
  return (await readdir(DEFAULT_MIGRATIONS_DIR, { withFileTypes: true }))
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
}

describe('deployMigrations', () => {
  it('applies the committed migrations once, recording stock rows', async () => {
    const url = await emptyDatabase();
    const names = await committedMigrations();
    expect(names[0]).toMatch(/^\d{14}_init$/);

    expect(await deployMigrations(url)).toEqual(names);
    expect(await tablesOf(url)).toEqual(TABLES);
    expect(await deployMigrations(url)).toEqual([]);

    const rows = await query<{ migration_name: string; checksum: string; finished_at: Date | null; rolled_back_at: Date | null; applied_steps_count: number }>(
      url,
      'SELECT migration_name, checksum, finished_at, rolled_back_at, applied_steps_count FROM _prisma_migrations ORDER BY started_at',
    );
    const sql = await readFile(join(DEFAULT_MIGRATIONS_DIR, names[0]!, 'migration.sql'));
    expect(rows[0]).toMatchObject({
      migration_name: names[0],
      checksum: createHash('sha256').update(sql).digest('hex'),
      rolled_back_at: null,
      applied_steps_count: 1,
    });
    expect(rows[0]!.finished_at).toBeInstanceOf(Date);
    expect(rows).toHaveLength(names.length);

    const status = await migrationStatus(url);
    expect(status).toMatchObject({ hasMigrationsTable: true, pending: [], failed: [], edited: [], unknown: [] });
  });

  it('runs a migration as one query: $$ bodies work and a failure leaves nothing half-applied', async () => {
    const dir = join(tmp, 'broken');
    await cp(DEFAULT_MIGRATIONS_DIR, dir, { recursive: true });
    await mkdir(join(dir, '20990101000000_func'));
    await writeFile(
      join(dir, '20990101000000_func', 'migration.sql'),
      'CREATE FUNCTION archway_one() RETURNS int AS $$ BEGIN PERFORM 1; RETURN 1; END $$ LANGUAGE plpgsql;\n',
    );
    await mkdir(join(dir, '20990101000001_broken'));
    await writeFile(
      join(dir, '20990101000001_broken', 'migration.sql'),
      'CREATE TABLE "Partial" ("id" INTEGER);\nALTER TABLE "Build" ADD COLUMN "extra" TEXT;\nSELECT * FROM "no_such_table";\n',
    );
    const url = await emptyDatabase();

    await expect(deployMigrations(url, { migrationsDir: dir })).rejects.toThrow(/no_such_table/);

    expect(await query(url, 'SELECT archway_one() AS v')).toEqual([{ v: 1 }]);
    expect(await tablesOf(url)).toEqual(TABLES);
    const columns = await query(url, `SELECT 1 FROM information_schema.columns WHERE table_name = 'Build' AND column_name = 'extra'`);
    expect(columns).toEqual([]);
    const status = await migrationStatus(url, { migrationsDir: dir });
    expect(status.failed).toEqual(['20990101000001_broken']);
  });
});

describe('test template database', () => {
  it('is migrated by global setup, so createTestDatabase() has the tables', async () => {
    const url = await createTestDatabase();
    expect(await tablesOf(url)).toEqual(TABLES);
    expect(await migrationStatus(url)).toMatchObject({ pending: [], failed: [] });
  });
});

describe('createMigration', () => {
  it('finds no difference between the committed migrations and schema.prisma', async () => {
    const dir = join(tmp, 'drift');
    await cp(DEFAULT_MIGRATIONS_DIR, dir, { recursive: true });
    const name = await createMigration(await emptyDatabase(), 'drift', { migrationsDir: dir });
    const sql = await readFile(join(dir, name, 'migration.sql'), 'utf8');
    expect(sql, 'schema.prisma changed without a migration: run `tsx prisma/migrate.ts create <name>`').toBe('-- This is an empty migration.');
  });

  it('writes only the schema change, replaying history in shadow databases it drops', async () => {
    const dir = join(tmp, 'create');
    await cp(DEFAULT_MIGRATIONS_DIR, dir, { recursive: true });
    const schemaPath = join(tmp, 'schema.prisma');
    const schema = await readFile(DEFAULT_SCHEMA, 'utf8');
    await writeFile(schemaPath, `${schema}\nmodel Extra {\n  id Int @id\n  buildId String @db.Uuid\n  @@index([buildId])\n}\n`);
    const url = await emptyDatabase();

    const name = await createMigration(url, 'add extra', { migrationsDir: dir, schemaPath });

    expect(name).toMatch(/^\d{14}_add_extra$/);
    const sql = await readFile(join(dir, name, 'migration.sql'), 'utf8');
    expect(sql).toContain('CREATE TABLE "Extra"');
    expect(sql).toContain('CREATE INDEX "Extra_buildId_idx"');
    expect(sql).not.toContain('"Build"');
    expect(await readFile(join(dir, 'migration_lock.toml'), 'utf8')).toContain('provider = "postgresql"');
    const shadows = await query(url, "SELECT datname FROM pg_database WHERE datname LIKE 'prisma_migrate_shadow_db_%'");
    expect(shadows).toEqual([]);
    // The new migration is not applied by create (like `migrate dev --create-only`).
    expect(await tablesOf(url)).not.toContain('Extra');
    expect(await deployMigrations(url, { migrationsDir: dir, schemaPath })).toEqual([name]);
    expect(await tablesOf(url)).toContain('Extra');
  });
});
