import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../test/support/db.ts';
import { apiFixture, type ApiFixture } from './testing/fixture.ts';
import { encodeCursor } from './infra/keyset.ts';
import { loggingPrisma, type LoggedQuery } from './testing/query-log.ts';
import { seedScale, type ScaleSeed } from './testing/seed-scale.ts';

// Every list the API and the dashboard serve, on a database of 100,000 builds (200,000 tasks,
// attempts and phases, 20,000 webhook and 20,000 notification deliveries, 5,000 tokens): the SQL
// Prisma really sends for each request is EXPLAINed, and none may read a big table whole (Seq
// Scan) — each is an index range scan, which is what keeps a page as fast on the 100,000th build
// as on the first. A page deep in a keyset list must also start at its cursor (an index bound on
// createdAt), not walk the index from the newest row.
//
// The lists that are not keyset-paginated are bounded by construction: a repository's schedules
// and notifications (at most 20 each), the repositories (registered by an admin, one row each),
// agents and queues (one per machine and platform), base images (the watcher's, capped at 1,000).
const BIG = new Set(['Build', 'Task', 'TaskAttempt', 'Phase', 'WebhookDelivery', 'NotificationDelivery', 'ApiToken']);

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
  'Index Cond'?: string;
  Plans?: PlanNode[];
}

function nodes(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(nodes)];
}

/** The SQL one request sends, each statement EXPLAINed with its parameters. */
async function plansOf(url: string): Promise<{ sql: string; scans: string[]; conds: string[] }[]> {
  const from = queries.length;
  const res = await f.app.inject({ method: 'GET', url, headers: f.auth });
  expect(res.statusCode, `${url}: ${res.body.slice(0, 300)}`).toBe(200);
  const sent = queries.slice(from).filter((q) => /^\s*(SELECT|WITH)/i.test(q.sql) && !/"hash" = \$/.test(q.sql));
  expect(sent.length, url).toBeGreaterThan(0);
  const out: { sql: string; scans: string[]; conds: string[] }[] = [];
  for (const q of sent) {
    const { rows } = await db.query(`EXPLAIN (FORMAT JSON) ${q.sql}`, q.params);
    const plan = (rows[0]['QUERY PLAN'] as { Plan: PlanNode }[])[0]!.Plan;
    const scans = nodes(plan)
      .filter((n) => n['Relation Name'])
      .map((n) => `${n['Node Type']} on ${n['Relation Name']}${n['Index Name'] ? ` using ${n['Index Name']}` : ''}`);
    const conds = nodes(plan).flatMap((n) => (n['Index Cond'] ? [`${n['Index Name']}: ${n['Index Cond']}`] : []));
    out.push({ sql: q.sql, scans, conds });
  }
  return out;
}

async function expectIndexed(url: string): Promise<{ conds: string[] }[]> {
  const plans = await plansOf(url);
  console.log(`${url}\n${plans.map((p) => `  ${p.scans.join('; ')}`).join('\n')}`);
  for (const p of plans) {
    const seq = p.scans.filter((s) => s.startsWith('Seq Scan') && BIG.has(s.slice('Seq Scan on '.length)));
    expect(seq, `${url}: ${p.sql}`).toEqual([]);
  }
  return plans;
}

/** A page far down a list (`row`: its previous page's last row): indexed, and the scan starts at the cursor. */
async function expectDeepPage(url: string, row: { createdAt: Date; id: string }): Promise<void> {
  const plans = await expectIndexed(`${url}&cursor=${encodeCursor(row)}`);
  const bounds = plans.flatMap((p) => p.conds).filter((c) => c.includes('"createdAt" <='));
  expect(bounds, `${url}: ${plans.flatMap((p) => p.conds.map((c) => c.slice(0, 120))).join('; ')}`).not.toEqual([]);
}

/** The `n`th newest row of `table` matching `where` (SQL on the seeded database). */
async function nth(table: string, where: string, n: number): Promise<{ createdAt: Date; id: string }> {
  const { rows } = await db.query(`SELECT id, "createdAt" FROM "${table}" WHERE ${where} ORDER BY "createdAt" DESC, id DESC LIMIT 1 OFFSET ${n}`);
  expect(rows[0], `${table} ${where} offset ${n}`).toBeDefined();
  return rows[0];
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
      `/api/v1/builds?limit=50&repoId=${seed.repos[5]}&status=failed`,
      `/api/v1/builds?limit=50&repoId=${repo}&status=succeeded`,
      '/api/v1/builds?limit=50&ref=main',
      '/api/v1/builds?limit=20&ref=feature-5',
      `/api/v1/builds?limit=20&repoId=${repo}&ref=main`,
    ]) {
      await expectIndexed(url);
      await expectIndexed(await secondPage(url));
    }
    const list = (await f.app.inject({ url: '/api/v1/builds?limit=50', headers: f.auth })).json();
    expect(list.items).toHaveLength(50);
  });

  it('GET /api/v1/builds, a page 90,000 builds down (and deep in each filter): starts at the cursor', async () => {
    const repo = seed.repos[3]!;
    await expectDeepPage('/api/v1/builds?limit=50', await nth('Build', 'true', 90_000));
    await expectDeepPage('/api/v1/builds?limit=50&status=failed', await nth('Build', `status = 'failed'`, 9_000));
    await expectDeepPage(`/api/v1/builds?limit=50&repoId=${repo}`, await nth('Build', `"repoId" = '${repo}'`, 2_000));
    await expectDeepPage('/api/v1/builds?limit=50&ref=main', await nth('Build', `ref = 'main'`, 30_000));
  });

  it("a build page (the build, its tasks — a build's only task list —, attempts and phases): index scans only", async () => {
    const { rows } = await db.query(`SELECT id FROM "Build" ORDER BY "createdAt" LIMIT 1 OFFSET 77777`);
    await expectIndexed(`/api/v1/builds/${rows[0].id}`);
  });

  it("a repository's deliveries, its notifications' deliveries, the tokens: first, later and deep pages indexed", async () => {
    const repo = seed.repos[5]!;
    const hook = seed.notifications.find((n) => n.repoId === repo)!;
    for (const [url, table, where, deep] of [
      [`/api/v1/repos/${repo}/deliveries?limit=50`, 'WebhookDelivery', `"repoId" = '${repo}'`, 800],
      [`/api/v1/repos/${repo}/notifications/${hook.id}/deliveries?limit=50`, 'NotificationDelivery', `"notificationId" = '${hook.id}'`, 800],
      ['/api/v1/tokens?limit=50', 'ApiToken', 'true', 4_000],
    ] as const) {
      await expectIndexed(url);
      await expectIndexed(await secondPage(url));
      await expectDeepPage(url, await nth(table, where, deep));
    }
  });

  it('the lists bounded by construction (schedules, notifications, repositories, queues, base images): no full reads', async () => {
    const repo = seed.repos[5]!;
    for (const url of [`/api/v1/repos/${repo}/schedules`, `/api/v1/repos/${repo}/notifications`, '/api/v1/repos', '/api/v1/queues', '/api/v1/base-images']) {
      await expectIndexed(url);
    }
  });
});
