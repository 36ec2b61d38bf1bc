import { randomUUID } from 'node:crypto';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { BuildRequest } from '@archway/contract';
import { DEFAULT_MIGRATIONS_DIR } from './engine/session.ts';
import { deployMigrations } from './migrate.ts';

const MIGRATION = '20261203115511_build_request';
let admin: pg.Client;
let tmp: string;

beforeAll(async () => {
  admin = new pg.Client({ connectionString: inject('pgUrlPattern').replace('{db}', 'postgres') });
  await admin.connect();
  tmp = await mkdtemp(join(inject('tmpRoot'), 'backfill-'));
});
afterAll(async () => {
  await admin.end();
  await rm(tmp, { recursive: true, force: true });
});

describe(`migration ${MIGRATION}`, () => {
  it('backfills the request of existing builds from their columns, none for builds without tasks', async () => {
    const name = `m_${randomUUID().replace(/-/g, '')}`;
    await admin.query(`CREATE DATABASE ${name}`);
    const url = inject('pgUrlPattern').replace('{db}', name);
    // The history up to the migration before this one, then rows as the old code wrote them.
    const before = join(tmp, 'before');
    await cp(DEFAULT_MIGRATIONS_DIR, before, { recursive: true });
    await rm(join(before, MIGRATION), { recursive: true });
    await deployMigrations(url, { migrationsDir: before });
    const db = new pg.Client({ connectionString: url });
    await db.connect();
    try {
      const [queued, failed] = [randomUUID(), randomUUID()];
      await db.query(
        `INSERT INTO "Build" ("id", "sourceUrl", "ref", "commit", "containerfile", "context", "platforms", "image", "tags", "buildArgs", "push")
         VALUES ($1, 'https://git.example/a.git', 'main', $2, 'Containerfile', 'sub', '{linux/amd64,linux/arm64}', 'r.example/a', '{1.0,latest}', '{"V":"1"}', true),
                ($3, 'https://git.example/a.git', 'main', $2, NULL, '.', '{linux/amd64}', NULL, '{}', '{}', false)`,
        [queued, 'c'.repeat(40), failed],
      );
      await db.query(`INSERT INTO "Task" ("id", "buildId", "platform") VALUES ($1, $2, 'linux/amd64'), ($3, $2, 'linux/arm64')`, [
        randomUUID(),
        queued,
        randomUUID(),
      ]);

      expect(await deployMigrations(url)).toEqual([MIGRATION]);
      const rows = (await db.query<{ id: string; request: unknown }>(`SELECT "id", "request" FROM "Build"`)).rows;
      const request = (id: string) => rows.find((r) => r.id === id)!.request;
      const expected = {
        source: { url: 'https://git.example/a.git', ref: 'main', commit: 'c'.repeat(40) },
        containerfile: 'Containerfile',
        context: 'sub',
        platforms: ['linux/amd64', 'linux/arm64'],
        image: 'r.example/a',
        tags: ['1.0', 'latest'],
        buildArgs: { V: '1' },
        push: true,
      };
      expect(request(queued)).toEqual(expected);
      // What the code reads back is the contract's request: unchanged by parsing, except for the
      // defaults of fields added since (attestations, on unless a build says otherwise).
      expect(BuildRequest.parse(request(queued))).toEqual({ ...expected, attestations: true });
      expect(request(failed)).toBeNull();
    } finally {
      await db.end();
    }
  });
});
