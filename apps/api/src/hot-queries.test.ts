import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../test/support/db.ts';
import { apiFixture, type ApiFixture } from './testing/fixture.ts';
import { loggingPrisma, type LoggedQuery } from './testing/query-log.ts';
import { seedScale, type ScaleSeed } from './testing/seed-scale.ts';

// Every list the API and the dashboard serve, on a database of 100,000 builds (200,000 tasks,
// attempts and phases, 20,000 deliveries): the SQL Prisma really sends for each request is
// EXPLAINed, and none may read a big table whole (Seq Scan) — each is an index range scan, which
// is what keeps a page as fast on the 100,000th build as on the first.
const BIG = new Set(['Build', 'Task', 'TaskAttempt', 'Phase', 'WebhookDelivery']);

let f: ApiFixture;
let db: pg.Client;
let queries: LoggedQuery[];
let seed: ScaleSeed;

beforeAll(async () => {
  const url = await createTestDatabase();
  db = new pg.Client({ connectionString: url });
  await db.connect();
  const started = Date.now();
  seed = await seedScale(db);
  console.log(`seeded ${seed.builds} builds in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const logged = loggingPrisma(url);
  queries = logged.queries;
  f = await apiFixture({ prisma: logged.prisma }, { recorder: false, resolver: false });
}, 300_000);
afterAll(async () => {
  await f?.close();
  await db?.end();
});

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

function nodes(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(nodes)];
}

/** The SQL one request sends, each statement EXPLAINed with its parameters. */
async function plansOf(url: string): Promise<{ sql: string; scans: string[] }[]> {
  const from = queries.length;
  const res = await f.app.inject({ method: 'GET', url, headers: f.auth });
  expect(res.statusCode, `${url}: ${res.body.slice(0, 300)}`).toBe(200);
  const sent = queries.slice(from).filter((q) => /^\s*(SELECT|WITH)/i.test(q.sql) && !/"hash" = \$/.test(q.sql));
  expect(sent.length, url).toBeGreaterThan(0);
  const out: { sql: string; scans: string[] }[] = [];
  for (const q of sent) {
    const { rows } = await db.query(`EXPLAIN (FORMAT JSON) ${q.sql}`, q.params);
    const plan = (rows[0]['QUERY PLAN'] as { Plan: PlanNode }[])[0]!.Plan;
    const scans = nodes(plan)
      .filter((n) => n['Relation Name'])
      .map((n) => `${n['Node Type']} on ${n['Relation Name']}${n['Index Name'] ? ` using ${n['Index Name']}` : ''}`);
    out.push({ sql: q.sql, scans });
  }
  return out;
}

async function expectIndexed(url: string): Promise<void> {
  const plans = await plansOf(url);
  console.log(`${url}\n${plans.map((p) => `  ${p.scans.join('; ')}`).join('\n')}`);
  for (const p of plans) {
    const seq = p.scans.filter((s) => s.startsWith('Seq Scan') && BIG.has(s.slice('Seq Scan on '.length)));
    expect(seq, `${url}: ${p.sql}`).toEqual([]);
  }
}

/** The page after the first: the keyset cursor of `url`'s answer. */
async function secondPage(url: string): Promise<string> {
  const res = await f.app.inject({ method: 'GET', url, headers: f.auth });
  const cursor = res.json().nextCursor as string;
  expect(cursor, url).toBeTruthy();
  return `${url}&cursor=${encodeURIComponent(cursor)}`;
}

describe('hot queries on 100,000 builds', () => {
  it('GET /api/v1/builds, each filter, first and later pages: index scans only', async () => {
    const repo = seed.repos[3]!;
    for (const url of [
      '/api/v1/builds?limit=50',
      '/api/v1/builds?limit=50&status=failed',
      '/api/v1/builds?limit=20&status=queued',
      `/api/v1/builds?limit=50&repoId=${repo}`,
      '/api/v1/builds?limit=50&ref=main',
    ]) {
      await expectIndexed(url);
      await expectIndexed(await secondPage(url));
    }
    const list = (await f.app.inject({ url: '/api/v1/builds?limit=50', headers: f.auth })).json();
    expect(list.items).toHaveLength(50);
  });

  it('a build page (the build, its tasks, attempts and phases): index scans only', async () => {
    const { rows } = await db.query(`SELECT id FROM "Build" ORDER BY "createdAt" LIMIT 1 OFFSET 77777`);
    await expectIndexed(`/api/v1/builds/${rows[0].id}`);
  });

  it("a repository's deliveries, first and later pages, the tokens and the queues: no full reads", async () => {
    const url = `/api/v1/repos/${seed.repos[5]}/deliveries?limit=50`;
    await expectIndexed(url);
    await expectIndexed(await secondPage(url));
    await expectIndexed('/api/v1/tokens');
    await expectIndexed('/api/v1/queues');
  });
});
