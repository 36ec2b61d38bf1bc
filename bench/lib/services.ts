import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPostgres } from '../../apps/launcher/src/postgres.ts';
import { startRedis } from '../../apps/launcher/src/redis.ts';
import { startRegistry } from '../../test/harness/registry.ts';
import { deployMigrations } from '../../prisma/migrate.ts';

/** Fresh Redis, Postgres (migrated) and registry for one benchmark run, torn down by `stop()`. */
export async function benchServices() {
  const root = await mkdtemp(join(tmpdir(), 'archway-bench-'));
  const [redis, pg, registry] = await Promise.all([
    startRedis({ dir: join(root, 'redis') }),
    startPostgres({ dir: join(root, 'pg') }),
    startRegistry({ dir: join(root, 'registry') }),
  ]);
  await deployMigrations(pg.url);
  return {
    root,
    redisUrl: redis.url,
    databaseUrl: pg.url,
    registryHost: registry.host,
    stop: async () => {
      await Promise.allSettled([redis.stop(), pg.stop(), registry.stop()]);
      await rm(root, { recursive: true, force: true });
    },
  };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

/** A positive number given as `--<name> <value>` on the command line, else the fallback. */
export function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i === -1 ? Number.NaN : Number(process.argv[i + 1]);
  return Number.isFinite(v) && v > 0 ? v : fallback;
}
