import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '@archway/runtime';
import { startPostgres, type EmbeddedPg } from '../../apps/launcher/src/postgres.ts';
import { deployMigrations } from '../../prisma/migrate.ts';
import { testPrefix } from '../support/redis.ts';
import { makeGitRepo } from '../harness/git-repo.ts';
import { startStack, type Stack } from '../harness/stack.ts';
import { listTags, seconds, slowRepoFiles, submitBuild, waitForRunning } from './support.ts';

const PLATFORMS = ['linux/amd64', 'linux/arm64'];
/** How long Postgres stays down: the fault's own length, not a wait for something to happen. */
const OUTAGE_MS = 30_000;

// Fault: Postgres stops for 30 s while a two-platform build runs. Agents and the merger never use
// it and go on; the API answers 503 with a reason meanwhile; the recorder keeps the events pending
// and applies them when Postgres is back. The build ends published.
describe('fault: Postgres stopped for 30 s mid-build', () => {
  let stack: Stack;
  let pg: EmbeddedPg | undefined;
  let pgDir: string;
  let pgPort: number;
  let repo: { url: string };
  const registry = inject('registryHost');

  beforeAll(async () => {
    const root = await mkdtemp(join(inject('tmpRoot'), 'fault-pg-'));
    pgDir = join(root, 'pg');
    pgPort = await freePort();
    pg = await startPostgres({ dir: pgDir, port: pgPort });
    await deployMigrations(pg.url);
    repo = await makeGitRepo(join(root, 'repo'), slowRepoFiles(3));
    stack = await startStack({ root, databaseUrl: pg.url, redisUrl: inject('redisUrl'), prefix: testPrefix(), registryHost: registry, agents: PLATFORMS });
  });
  afterAll(async () => {
    await stack?.stop();
    await pg?.stop();
  });

  it('answers 503 while it is down, then ends succeeded with every tag', { timeout: 300_000 }, async () => {
    const id = await submitBuild(stack, {
      source: { url: repo.url, ref: 'main' },
      platforms: PLATFORMS,
      image: `${registry}/fault/pg`,
      tags: ['1.0', 'latest'],
    });
    await waitForRunning(stack, id);
    await pg!.stop();
    const down = Date.now();
    const res = await stack.api('/api/v1/builds?limit=5');
    expect(res.status).toBe(503);
    expect(((await res.json()) as { message: string }).message).toMatch(/database/i);
    expect(await listTags(registry, 'fault/pg')).toEqual([]);
    await new Promise((r) => setTimeout(r, Math.max(0, OUTAGE_MS - (Date.now() - down))));
    pg = await startPostgres({ dir: pgDir, port: pgPort });
    const back = Date.now();
    const build = await stack.waitForFinal(id, 240_000);
    console.log(`fault postgres-stopped: build ${build.status} ${seconds(Date.now() - back)} after Postgres came back`);
    expect(build.status, JSON.stringify(build, null, 2)).toBe('succeeded');
    expect((await listTags(registry, 'fault/pg')).sort()).toEqual(['1.0', 'latest']);
  });
});
