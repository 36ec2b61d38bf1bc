// Prisma migrations without the native schema-engine download: drives the WebAssembly engine
// through a pg driver adapter. The migrations folder and the _prisma_migrations table are the
// stock ones, so `prisma migrate deploy` works on the same folder and database.
import { pathToFileURL } from 'node:url';
import { readMigrations, slugifyMigrationName, writeMigration } from './engine/migrations-dir.ts';
import { DEFAULT_MIGRATIONS_DIR, DEFAULT_SCHEMA, NO_FILTERS, withEngine } from './engine/session.ts';

export interface MigrateOptions {
  log?: (message: string) => void;
  /** Defaults to prisma/migrations. */
  migrationsDir?: string;
  /** Defaults to prisma/schema.prisma. */
  schemaPath?: string;
}

/** Applies pending migrations (each in one transaction); returns the names applied. */
export async function deployMigrations(databaseUrl: string, opts: MigrateOptions = {}): Promise<string[]> {
  const log = opts.log ?? (() => {});
  const migrationsList = await readMigrations(opts.migrationsDir ?? DEFAULT_MIGRATIONS_DIR);
  if (migrationsList.migrationDirectories.length === 0) {
    log(`No migrations found in ${migrationsList.baseDir}`);
    return [];
  }
  const { appliedMigrationNames } = await withEngine(databaseUrl, opts.schemaPath ?? DEFAULT_SCHEMA, ({ engine }) =>
    engine.applyMigrations({ migrationsList, filters: NO_FILTERS }),
  );
  for (const name of appliedMigrationNames) log(`Applied migration ${name}`);
  if (appliedMigrationNames.length === 0) log('No pending migrations to apply.');
  return appliedMigrationNames;
}

/**
 * Creates `<timestamp>_<name>/migration.sql` from the difference between the migrations folder
 * and the schema (like `prisma migrate dev --create-only`). Pending migrations are applied to the
 * database first; the diff is computed by replaying the history in throwaway shadow databases.
 * Returns the new folder name.
 */
export async function createMigration(databaseUrl: string, name: string, opts: MigrateOptions = {}): Promise<string> {
  const log = opts.log ?? (() => {});
  const baseDir = opts.migrationsDir ?? DEFAULT_MIGRATIONS_DIR;
  const filters = NO_FILTERS;
  const migrationName = slugifyMigrationName(name);
  if (!migrationName) throw new Error(`Migration name "${name}" has no letters or digits: pass a name like add_tokens.`);
  return withEngine(databaseUrl, opts.schemaPath ?? DEFAULT_SCHEMA, async ({ engine, schema }) => {
    let migrationsList = await readMigrations(baseDir);
    const { action } = await engine.devDiagnostic({ migrationsList, filters });
    if (action.tag === 'reset') {
      throw new Error(
        `The database at DATABASE_URL has drifted from the migrations folder and would need a reset: ${action.reason}. Point DATABASE_URL at a scratch development database.`,
      );
    }
    const { appliedMigrationNames } = await engine.applyMigrations({ migrationsList, filters });
    for (const applied of appliedMigrationNames) log(`Applied pending migration ${applied}`);
    await engine.diagnoseMigrationHistory({ migrationsList, optInToShadowDatabase: true, filters });
    const loss = await engine.evaluateDataLoss({ migrationsList, schema, filters });
    for (const w of loss.warnings) log(`Warning: ${w.message}`);
    for (const u of loss.unexecutableSteps) log(`Unexecutable on this database: ${u.message}`);
    if (loss.migrationSteps === 0) log('The schema matches the migrations: the new migration is empty (add SQL by hand).');
    migrationsList = await readMigrations(baseDir);
    const out = await engine.createMigration({ draft: true, migrationName, migrationsList, schema, filters });
    const dir = await writeMigration(baseDir, {
      name: out.generatedMigrationName,
      script: out.migrationScript ?? '',
      extension: out.extension,
      connectorType: out.connectorType,
    });
    log(`Created ${dir}`);
    return out.generatedMigrationName;
  });
}

export interface MigrationStatus {
  migrations: string[];
  hasMigrationsTable: boolean;
  pending: string[];
  failed: string[];
  edited: string[];
  /** Applied to the database but missing from the folder. */
  unknown: string[];
}

/** Compares the migrations folder with the database's `_prisma_migrations` table. */
export async function migrationStatus(databaseUrl: string, opts: MigrateOptions = {}): Promise<MigrationStatus> {
  const migrationsList = await readMigrations(opts.migrationsDir ?? DEFAULT_MIGRATIONS_DIR);
  const d = await withEngine(databaseUrl, opts.schemaPath ?? DEFAULT_SCHEMA, ({ engine }) =>
    engine.diagnoseMigrationHistory({ migrationsList, optInToShadowDatabase: false, filters: NO_FILTERS }),
  );
  const h = d.history;
  return {
    migrations: migrationsList.migrationDirectories.map((m) => m.path),
    hasMigrationsTable: d.hasMigrationsTable,
    pending: h && 'unappliedMigrationNames' in h ? h.unappliedMigrationNames : [],
    failed: d.failedMigrationNames,
    edited: d.editedMigrationNames,
    unknown: h && 'unpersistedMigrationNames' in h ? h.unpersistedMigrationNames : [],
  };
}

/** Marks a failed migration as rolled back (after fixing the database by hand), like `prisma migrate resolve --rolled-back`. */
export async function markRolledBack(databaseUrl: string, name: string, opts: MigrateOptions = {}): Promise<void> {
  await withEngine(databaseUrl, opts.schemaPath ?? DEFAULT_SCHEMA, ({ engine }) => engine.markMigrationRolledBack({ migrationName: name }));
  opts.log?.(`Marked ${name} as rolled back; the next deploy retries it.`);
}

const USAGE = `usage: tsx prisma/migrate.ts <command>   (reads DATABASE_URL)
  deploy                      apply pending migrations
  create <name>               write a new migration from schema.prisma changes (not applied)
  status                      compare the migrations folder with the database
  resolve --rolled-back <name>  mark a failed migration as rolled back`;

async function cli(args: string[]): Promise<number> {
  const [command, name] = args;
  const url = process.env.DATABASE_URL;
  if (!command || !['deploy', 'create', 'status', 'resolve'].includes(command)) return usage();
  if (!url) {
    console.error('DATABASE_URL is not set: export the Postgres URL to migrate (postgresql://user:pass@host:port/db).');
    return 2;
  }
  const log = (m: string) => console.log(m);
  if (command === 'deploy') {
    await deployMigrations(url, { log });
    return 0;
  }
  if (command === 'create') {
    if (!name) return usage();
    await createMigration(url, name, { log });
    return 0;
  }
  if (command === 'resolve') {
    const target = args[2];
    if (name !== '--rolled-back' || !target) return usage();
    await markRolledBack(url, target, { log });
    return 0;
  }
  const s = await migrationStatus(url);
  console.log(`${s.migrations.length} migration(s) in the folder.`);
  if (!s.hasMigrationsTable) console.log('The database has no _prisma_migrations table yet.');
  for (const [label, list] of [
    ['Pending', s.pending],
    ['Failed', s.failed],
    ['Edited after apply', s.edited],
    ['In the database but not in the folder', s.unknown],
  ] as const) {
    if (list.length > 0) console.log(`${label}: ${list.join(', ')}`);
  }
  const ok = s.pending.length + s.failed.length + s.edited.length + s.unknown.length === 0;
  if (ok) console.log('Database schema is up to date.');
  if (s.failed.length > 0) console.log('Fix the database by hand, then run: tsx prisma/migrate.ts resolve --rolled-back <name>');
  return ok ? 0 : 1;
}

function usage(): number {
  console.error(USAGE);
  return 2;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  // Exit explicitly: the wasm engine may leave timers behind.
  cli(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: Error) => {
      console.error(`Migration failed: ${error.message}`);
      process.exit(1);
    },
  );
}
