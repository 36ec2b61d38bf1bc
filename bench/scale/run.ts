// bench/scale: the coordinator's request path against a slow git server and a big database (issue
// 18), loopback only, bounded. One run, one table:
//  A. POST /api/v1/builds with an unpinned ref against `git http-backend` answering after 500 ms,
//     vs the same requests with a pinned commit: p50/p99 and throughput at 20 clients; then how
//     long the resolver takes to queue them all and how many requests git really got.
//  B. a webhook storm: 200 signed pushes in 10 s across 20 repositories (10 each, to two branches,
//     cancelSuperseded on): p50/p99 of the answers, then what became of the builds.
//  C. webhook ingest rate, side by side: signed deliveries the API records (branch deletions,
//     recorded and ignored) per second vs a bare Fastify route that checks the HMAC and parses JSON.
//  D. 100,000 builds seeded: GET /api/v1/builds?limit=50 and a build page, p50/p99.
//  E. 1,000,000 log lines in retention on top (logs.ts): list and page again, a 10,000-line log's
//     full body, the SSE log stream's first line, one retention sweep and the API meanwhile.
//   npm run bench:scale [-- --requests 600 --clients 20 --delay-ms 500 --ingest 3000 --no-logs --parts ABCDE]
//   (--no-logs skips E; --parts picks parts: E needs D's builds, so D runs whenever E does)
import { execFile, spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { startSlowGitServer } from '../lib/git-http.ts';
import { benchServices, flag } from '../lib/services.ts';
import { makeGitRepo } from '../../test/harness/git-repo.ts';
import { startStack } from '../../test/harness/stack.ts';
import { SEED_URL, seedScale } from '../../apps/api/src/testing/seed-scale.ts';
import { failed, fmt, hammer, p, perSecond, pushBody, signedInit, type Timed } from './hooks.ts';
import { BENCH_RETAIN_LOGS, logsPart } from './logs.ts';

const REQUESTS = Math.floor(flag('requests', 600));
const CLIENTS = Math.floor(flag('clients', 20));
const DELAY_MS = flag('delay-ms', 500);
const INGEST = Math.floor(flag('ingest', 3000));
const SECRET = 'bench-webhook-secret-0123456789';
const partsArg = process.argv.indexOf('--parts');
const PARTS = new Set((partsArg === -1 ? 'ABCDE' : process.argv[partsArg + 1]!).toUpperCase().split(''));
if (process.argv.includes('--no-logs')) PARTS.delete('E');
if (PARTS.has('E')) PARTS.add('D');
if (PARTS.has('C')) PARTS.add('B'); // C signs deliveries for B's repositories
const PLATFORMS = ['linux/amd64', 'linux/arm64'];
const started = Date.now();
const log = (msg: string) => console.log(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${msg}`);
const rows: string[][] = [];
const add = (...cells: string[]) => rows.push(cells);
const line = (t: Timed) => `p50 ${fmt(p(t.ms, 50))} / p99 ${fmt(p(t.ms, 99))}, ${perSecond(t).toFixed(0)} req/s (n ${t.ms.length}, failures: ${failed(t)})`;

async function until(check: () => Promise<boolean>, what: string, timeoutMs: number): Promise<number> {
  const t0 = Date.now();
  while (!(await check())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return Date.now() - t0;
}

function startBare(): Promise<{ url: string; stop: () => void }> {
  const entry = fileURLToPath(new URL('./bare-hook.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', entry], { env: { ...process.env, BARE_SECRET: SECRET }, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.stdout.once('data', (d: Buffer) => resolve({ url: `http://127.0.0.1:${d.toString().trim()}`, stop: () => child.kill('SIGTERM') }));
    child.once('exit', (code) => reject(new Error(`bare hook server exited ${code}`)));
  });
}

async function main() {
  const services = await benchServices();
  const db = new pg.Client({ connectionString: services.databaseUrl });
  await db.connect();
  const src = await makeGitRepo(join(services.root, 'src'), { Containerfile: 'FROM scratch\nCOPY hello.txt /hello.txt\n', 'hello.txt': 'scale\n' });
  await promisify(execFile)('git', ['clone', '-q', '--bare', src.dir, join(services.root, 'git', 'app.git')]);
  const git = await startSlowGitServer(join(services.root, 'git'), DELAY_MS);
  const cloneUrl = `${git.url}/app.git`;
  const stack = await startStack({
    root: join(services.root, 'stack'),
    databaseUrl: services.databaseUrl,
    redisUrl: services.redisUrl,
    registryHost: services.registryHost,
    prefix: 'scale',
    agents: [], // builds stay queued: what is measured is the API, not the agents
    env: { ARCHWAY_ALLOW_LOCAL_SOURCES: 'true', ARCHWAY_AUTH_FAILURE_LIMIT: '0', ARCHWAY_RETAIN_LOGS: BENCH_RETAIN_LOGS },
  });
  const resolving = async () => (await db.query(`SELECT count(*)::int AS n FROM "Build" WHERE status = 'resolving'`)).rows[0].n as number;
  try {
    const repos: { id: string; fullName: string }[] = [];
    if (PARTS.has('A')) {
      // A. POST pinned vs unpinned.
      const body = (pinned: boolean) =>
        JSON.stringify({ source: { url: cloneUrl, ref: 'main', ...(pinned ? { commit: src.commit } : {}) }, platforms: PLATFORMS, push: false });
      const post = (b: string) => () => stack.api('/api/v1/builds', { method: 'POST', body: b });
      await hammer(60, 5, post(body(true)), (s) => s === 202); // warm-up, not measured
      const pinned = await hammer(REQUESTS, CLIENTS, post(body(true)), (s) => s === 202);
      log(`pinned: ${line(pinned)}`);
      // The pinned builds' resolves (no git: straight to queued) would otherwise still be running
      // during the unpinned run and be counted against it.
      const pinnedDrainMs = await until(async () => (await resolving()) === 0, 'the resolver (pinned)', 600_000);
      log(`pinned builds resolved ${(pinnedDrainMs / 1000).toFixed(1)} s after the last POST`);
      const gitBefore = git.requests();
      const unpinned = await hammer(REQUESTS, CLIENTS, post(body(false)), (s) => s === 202);
      log(`unpinned: ${line(unpinned)}`);
      const drainMs = await until(async () => (await resolving()) === 0, 'the resolver', 600_000);
      const statuses = (await db.query(`SELECT status, count(*)::int AS n FROM "Build" GROUP BY status ORDER BY status`)).rows;
      log(`resolver drained in ${(drainMs / 1000).toFixed(1)} s; git requests ${git.requests() - gitBefore}`);
      add('POST /builds, commit pinned', line(pinned), `${CLIENTS} clients`);
      add(`POST /builds, ref unpinned (git answers after ${DELAY_MS} ms)`, line(unpinned), `**p99 ${fmt(p(unpinned.ms, 99))}** (target < 100 ms)`);
      add('unpinned / pinned throughput', `**${(perSecond(unpinned) / perSecond(pinned)).toFixed(2)}**`, 'target ≥ 0.9');
      add(
        'resolver: last POST → none resolving',
        `${(drainMs / 1000).toFixed(1)} s`,
        `git HTTP requests ${git.requests() - gitBefore} for ${unpinned.ms.length} unpinned builds; builds ${statuses.map((r) => `${r.status} ${r.n}`).join(', ')}`,
      );
    }
    if (PARTS.has('B')) {
      // B. The storm: 20 repositories, 10 pushes each to two branches, 200 in 10 s.
      for (let i = 0; i < 20; i++) {
        const fullName = `bench/app-${i}`;
        const res = await stack.api('/api/v1/repos', {
          method: 'POST',
          body: JSON.stringify({ fullName, provider: 'github', cloneUrl, webhookSecret: SECRET, platforms: PLATFORMS, cancelSuperseded: { branches: true } }),
        });
        if (res.status !== 201) throw new Error(`registering ${fullName}: ${res.status} ${await res.text()}`);
        repos.push({ id: ((await res.json()) as { id: string }).id, fullName });
      }
      // Warm-up, not measured (as part A's): the webhook route's first requests compile its code
      // and queries. Branch deletions (recorded and ignored, no build, no git), then pushes of a
      // repository of its own that are accepted and resolved, as on an API that has run a while;
      // the storm starts once they are resolved.
      await hammer(
        40,
        2,
        (i) =>
          fetch(
            `${stack.url}/hooks/github/${repos[i % 20]!.id}`,
            signedInit(SECRET, pushBody(repos[i % 20]!.fullName, `warm-${i}`, src.commit, '1'.repeat(40), true)),
          ),
        (s) => s === 202,
      );
      const warm = await stack.api('/api/v1/repos', {
        method: 'POST',
        body: JSON.stringify({
          fullName: 'bench/warm-up',
          provider: 'github',
          cloneUrl,
          webhookSecret: SECRET,
          platforms: PLATFORMS,
          cancelSuperseded: { branches: true },
        }),
      });
      if (warm.status !== 201) throw new Error(`registering bench/warm-up: ${warm.status} ${await warm.text()}`);
      const warmId = ((await warm.json()) as { id: string }).id;
      const warmed = await hammer(
        20,
        2,
        (i) =>
          fetch(
            `${stack.url}/hooks/github/${warmId}`,
            signedInit(SECRET, pushBody('bench/warm-up', `warm-${i % 2}`, src.commit, i.toString(16).padStart(40, 'f'))),
          ),
        (s) => s === 202,
      );
      if (warmed.failures.size > 0) throw new Error(`warm-up pushes refused: ${failed(warmed)}`);
      await until(async () => (await resolving()) === 0, 'the warm-up pushes resolved', 120_000);
      const gitBeforeStorm = git.requests();
      const storm: Timed = { ms: [], failures: new Map(), wallMs: 0 };
      const slowLog: [number, number][] = [];
      const t0 = performance.now();
      await Promise.all(
        repos.map(async (repo, r) => {
          for (let k = 0; k < 10; k++) {
            await new Promise((res) => setTimeout(res, r * 25 + k * 1000 - (performance.now() - t0)));
            const b = pushBody(repo.fullName, k % 2 ? 'dev' : 'main', src.commit, (r * 100 + k).toString(16).padStart(40, '0'));
            const start = performance.now();
            const res = await fetch(`${stack.url}/hooks/github/${repo.id}`, signedInit(SECRET, b)).catch(() => undefined);
            await res?.arrayBuffer();
            slowLog.push([Math.round(start - t0), Math.round(performance.now() - start)]);
            if (res?.status === 202) storm.ms.push(performance.now() - start);
            else storm.failures.set(String(res?.status ?? 'error'), (storm.failures.get(String(res?.status ?? 'error')) ?? 0) + 1);
          }
        }),
      );
      storm.wallMs = performance.now() - t0;
      log(`storm's slowest answers [ms into the storm, ms]: ${JSON.stringify(slowLog.sort((a, b) => b[1] - a[1]).slice(0, 8))}`);
      const stormDrain = await until(async () => (await resolving()) === 0, 'the storm resolved', 600_000);
      const stormStatuses = (
        await db.query(`SELECT status, count(*)::int AS n FROM "Build" WHERE trigger = 'webhook' AND "repoId" <> $1 GROUP BY status ORDER BY status`, [warmId])
      ).rows;
      log(`storm: ${line(storm)}; resolved ${(stormDrain / 1000).toFixed(1)} s later: ${JSON.stringify(stormStatuses)}`);
      add('webhook storm: 200 pushes in 10 s, 20 repos × 2 branches', line(storm), `**p99 ${fmt(p(storm.ms, 99))}** (target < 100 ms)`);
      add(
        'storm: last push → none resolving',
        `${(stormDrain / 1000).toFixed(1)} s`,
        `builds ${stormStatuses.map((r) => `${r.status} ${r.n}`).join(', ')}; git HTTP requests ${git.requests() - gitBeforeStorm}`,
      );
    }
    if (PARTS.has('C')) {
      // C. Ingest rate side by side (branch deletions: recorded and ignored), bare route first.
      const bare = await startBare();
      const deletion = (i: number) => pushBody(repos[i % 20]!.fullName, `gone-${i}`, src.commit, '1'.repeat(40), true);
      const api: Timed[] = [];
      const base: Timed[] = [];
      try {
        for (let round = 0; round < 2; round++) {
          base.push(
            await hammer(
              INGEST,
              CLIENTS,
              (i) => fetch(`${bare.url}/hooks/github/${repos[i % 20]!.id}`, signedInit(SECRET, deletion(i))),
              (s) => s === 202,
            ),
          );
          api.push(
            await hammer(
              INGEST,
              CLIENTS,
              (i) => fetch(`${stack.url}/hooks/github/${repos[i % 20]!.id}`, signedInit(SECRET, deletion(i))),
              (s) => s === 202,
            ),
          );
          log(`ingest round ${round + 1}: bare ${line(base[round]!)}; api ${line(api[round]!)}`);
        }
      } finally {
        bare.stop();
      }
      const rate = (ts: Timed[]) => ts.reduce((a, t) => a + t.ms.length, 0) / (ts.reduce((a, t) => a + t.wallMs, 0) / 1000);
      const all = (ts: Timed[]): Timed => ({
        ms: ts.flatMap((t) => t.ms),
        failures: new Map(ts.flatMap((t) => [...t.failures])),
        wallMs: ts.reduce((a, t) => a + t.wallMs, 0),
      });
      add('bare Fastify route (HMAC + JSON)', line(all(base)), `${CLIENTS} clients`);
      add('API: signed deliveries recorded', line(all(api)), `**${(rate(api) / rate(base)).toFixed(2)}× the bare route** (target ≥ 0.25)`);
    }
    if (PARTS.has('D')) {
      // D. 100,000 builds.
      const seedStart = Date.now();
      await seedScale(db);
      log(`seeded 100,000 builds in ${((Date.now() - seedStart) / 1000).toFixed(1)} s`);
      // An installation with 100,000 builds has swept them as they aged; without this the API's
      // retention worker would spend the measurement removing two months of backlog (part E
      // measures a sweep on its own).
      await db.query(
        `UPDATE "Build" SET "archivesDeletedAt" = "finishedAt" + interval '30 days' WHERE "finishedAt" < now() - interval '31 days' AND status IN ('succeeded', 'failed', 'canceled')`,
      );
      // The seed's 100 open builds have no jobs in Redis, so the reconciler's next sweep fails them
      // as lost: a repair an installation makes once, after losing Redis's data (about 4 s of API
      // CPU for the 100). The lists are measured after it, as on an installation that runs steadily.
      const openSeeded = async () =>
        (await db.query(`SELECT count(*)::int AS n FROM "Build" WHERE "sourceUrl" = $1 AND status IN ('queued', 'running')`, [SEED_URL])).rows[0].n as number;
      const settledMs = await until(async () => (await openSeeded()) === 0, 'the reconciler to fail the seeded open builds', 120_000).catch((err) => {
        console.log(
          stack.output
            .filter((l) => l.includes('reconciler'))
            .slice(-20)
            .join('\n'),
        );
        throw err;
      });
      log(`the reconciler failed the seeded open builds (no jobs) ${(settledMs / 1000).toFixed(1)} s after seeding`);
      const ids = (await db.query(`SELECT id FROM "Build" ORDER BY random() LIMIT 500`)).rows.map((r) => r.id as string);
      await hammer(
        50,
        2,
        () => stack.api('/api/v1/builds?limit=50'),
        (s) => s === 200,
      ); // warm-up
      const list = await hammer(
        1000,
        4,
        () => stack.api('/api/v1/builds?limit=50'),
        (s) => s === 200,
      );
      const page = await hammer(
        1000,
        4,
        (i) => stack.api(`/api/v1/builds/${ids[i % ids.length]}`),
        (s) => s === 200,
      );
      add('100,000 builds: GET /builds?limit=50', line(list), `**p99 ${fmt(p(list.ms, 99))}** (target < 50 ms), 4 clients`);
      log(`list ${line(list)}; page ${line(page)}`);
      add('100,000 builds: GET /builds/:id (random)', line(page), `**p99 ${fmt(p(page.ms, 99))}** (target < 50 ms), 4 clients`);
    }
    // E. 1,000,000 log lines.
    if (PARTS.has('E')) await logsPart({ db, redisUrl: services.redisUrl, prefix: 'scale', stack, add, log, line });
  } finally {
    await stack.stop();
    await git.close();
    await db.end();
    await services.stop();
  }
  console.log('');
  console.log(
    `bench/scale parts ${[...PARTS].sort().join('')} (load average ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')} at the end; ${CLIENTS} clients, ${REQUESTS} requests per POST run, git delay ${DELAY_MS} ms, ${INGEST} deliveries per ingest run)`,
  );
  console.log('| measure | result | |');
  console.log('| --- | --- | --- |');
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
