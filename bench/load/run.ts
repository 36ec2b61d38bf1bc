// bench/load: the coordinator under load, loopback only, bounded in count and time. Starts the real
// system as processes (API, merger, one real agent per platform, own Redis and Postgres), measures
// API latency at rest, then submits N two-platform builds from C clients and measures the same
// under load, dispatch, drain time vs the ideal, and that every build ends. Then the same N builds
// with the agents replaced by BullMQ workers that complete jobs at once (sim-agent.ts): the
// coordinator's own ceiling in builds per minute. Prints one summary table.
//   npm run bench:load [-- --builds 1000 --clients 20 --max-minutes 30 --sim-concurrency 4 --sim-only --rate 1000 --steady-builds 1000]
// --sim-only skips the real agents (and the at-rest latencies): the coordinator's ceiling alone, with
// the API's latency probed (GET /builds?limit=50 every 100 ms) while the workers drain the builds;
// then a steady run (steady.ts): builds submitted at --rate per minute while the simulated agents
// run, and the API's latencies meanwhile.
import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { connectRedis } from '@archway/runtime';
import { benchServices, flag } from '../lib/services.ts';
import { makeGitRepo } from '../../test/harness/git-repo.ts';
import { startStack, type Stack } from '../../test/harness/stack.ts';
import { submitBuilds, type SubmitResult } from './clients.ts';
import { notFinal, rowCounts, statusCounts, taskStats, waitForDrain, type TaskStats } from './db-stats.ts';
import { printSimOnly, printSteady, printSummary, type RunReport } from './summary.ts';
import { steadyRun } from './steady.ts';

const BUILDS = Math.floor(flag('builds', 1000));
const CLIENTS = Math.floor(flag('clients', 20));
const MAX_MINUTES = flag('max-minutes', 30);
const SIM_CONCURRENCY = Math.floor(flag('sim-concurrency', 4));
const SIM_ONLY = process.argv.includes('--sim-only');
// --sim-only's steady run: builds per minute, and how many.
const RATE = flag('rate', 1000);
const STEADY_BUILDS = Math.floor(flag('steady-builds', 1000));
const REST = { builds: 40, clients: 2 };
// One agent per platform, one build at a time each: both 2 cores are busy (buildah, git and node
// per task); linux/arm64 builds natively here because nothing is run (no RUN step).
const PLATFORMS = ['linux/amd64', 'linux/arm64'];
const CONTAINERFILE = 'FROM scratch\nCOPY hello.txt /hello.txt\n';

const started = Date.now();
const deadline = started + MAX_MINUTES * 60_000;
// The simulated run needs far less time than the real one; keep some for it.
const simReserve = Math.min(5 * 60_000, MAX_MINUTES * 60_000 * 0.25);
const log = (msg: string) => console.log(`[${((Date.now() - started) / 1000).toFixed(0).padStart(5)} s] ${msg}`);

function request(repo: { url: string; commit: string }, tag: string): string {
  // push: false: no registry in the path; the tag only marks which run a build belongs to.
  return JSON.stringify({ source: { url: repo.url, ref: 'main', commit: repo.commit }, platforms: PLATFORMS, push: false, tags: [tag] });
}

async function redisMemory(redis: ReturnType<typeof connectRedis>): Promise<{ used: number; keys: number }> {
  const info = await redis.info('memory');
  return { used: Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0), keys: await redis.dbsize() };
}

/** Submits, waits for the drain (dropping the stack's captured output as it goes) and collects. */
async function loadRun(
  stack: Stack,
  db: pg.Client,
  redis: ReturnType<typeof connectRedis>,
  body: string,
  tag: string,
  until: number,
  afterSubmit?: () => Promise<void>,
): Promise<RunReport> {
  const before = await redisMemory(redis);
  const probe: number[] = [];
  const trim = setInterval(() => stack.output.splice(0, Math.max(0, stack.output.length - 200)), 1000);
  try {
    const submit: SubmitResult = await submitBuilds(stack.api, body, BUILDS, CLIENTS, until);
    log(`${tag}: ${submit.submitted} submitted in ${((submit.lastSubmitAt - submit.firstSubmitAt) / 1000).toFixed(1)} s; waiting for the drain`);
    let workStartedAt = submit.firstSubmitAt;
    if (afterSubmit) {
      await afterSubmit();
      workStartedAt = Date.now();
    }
    // The API's latency while the builds drain (what a dashboard user sees meanwhile).
    let draining = true;
    const prober = (async () => {
      while (draining) {
        const t0 = performance.now();
        const res = await stack.api('/api/v1/builds?limit=50').catch(() => undefined);
        await res?.arrayBuffer();
        if (res?.ok) probe.push(performance.now() - t0);
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const finals = await waitForDrain(db, tag, submit.submitted, until);
    draining = false;
    await prober;
    // Final as the API's database shows it (what a client sees), not the events' own timestamps:
    // the recorder may lag behind the agents and the merger.
    const drainedAt = Date.now();
    log(`${tag}: ${finals}/${submit.submitted} final`);
    const stats: TaskStats = await taskStats(db, tag);
    return {
      tag,
      submit,
      workStartedAt,
      drainedAt,
      statuses: await statusCounts(db, tag),
      notFinal: await notFinal(db, tag),
      stats,
      rows: await rowCounts(db, tag),
      redisBefore: before,
      redisAfter: await redisMemory(redis),
      loadavg: loadavg()[0]!,
      probe,
    };
  } finally {
    clearInterval(trim);
  }
}

function startSimAgents(redisUrl: string, prefix: string): Promise<() => Promise<void>> {
  const entry = fileURLToPath(new URL('./sim-agent.ts', import.meta.url));
  const env = {
    ...process.env,
    REDIS_URL: redisUrl,
    ARCHWAY_QUEUE_PREFIX: prefix,
    SIM_PLATFORMS: PLATFORMS.join(','),
    SIM_CONCURRENCY: String(SIM_CONCURRENCY),
  };
  const child = spawn(process.execPath, ['--import', 'tsx', entry], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      if (!d.toString().includes('ready')) return;
      resolve(async () => {
        child.kill('SIGTERM');
        await exited;
      });
    });
    child.once('exit', (code) => reject(new Error(`sim-agent exited ${code} before it was ready`)));
  });
}

async function main() {
  log(`${BUILDS} builds × ${PLATFORMS.length} platforms, ${CLIENTS} clients, at most ${MAX_MINUTES} min`);
  const services = await benchServices();
  const db = new pg.Client({ connectionString: services.databaseUrl });
  await db.connect();
  const redis = connectRedis(services.redisUrl);
  const stackOpts = {
    databaseUrl: services.databaseUrl,
    redisUrl: services.redisUrl,
    registryHost: services.registryHost,
    env: { ARCHWAY_ALLOW_LOCAL_SOURCES: 'true' },
  };
  let stack: Stack | undefined;
  let stopSim: (() => Promise<void>) | undefined;
  try {
    const repo = await makeGitRepo(join(services.root, 'repo'), { Containerfile: CONTAINERFILE, 'hello.txt': 'load\n' });
    if (SIM_ONLY) {
      stack = await startStack({ ...stackOpts, root: join(services.root, 'sim'), prefix: 'load-sim', agents: [] });
      const sim = await loadRun(stack, db, redis, request(repo, 'load-sim'), 'load-sim', deadline, async () => {
        stopSim = await startSimAgents(services.redisUrl, 'load-sim');
      });
      printSimOnly({ builds: BUILDS, clients: CLIENTS, simConcurrency: SIM_CONCURRENCY, sim });
      // Then a steady rate with the simulated agents already running: the issue's "≥ 1,000 builds
      // per minute created → published, API p99 < 100 ms meanwhile".
      const tag = 'load-steady';
      const steady = await steadyRun(stack.api, db, { body: request(repo, tag), tag, builds: STEADY_BUILDS, perMinute: RATE, until: deadline });
      printSteady({ ...steady, statuses: await statusCounts(db, tag), loadavg: loadavg()[0]! });
      return;
    }

    stack = await startStack({ ...stackOpts, root: join(services.root, 'real'), prefix: 'load', agents: PLATFORMS });
    // Warm-up (not measured): the first requests JIT the API, the first builds fill the agents' git
    // and layer caches. Then at rest: a few clients, a few builds.
    const warm = await submitBuilds(stack.api, request(repo, 'warmup'), 4, 1, deadline);
    await waitForDrain(db, 'warmup', warm.submitted, deadline - simReserve);
    const rest = await submitBuilds(stack.api, request(repo, 'rest'), REST.builds, REST.clients, deadline);
    await waitForDrain(db, 'rest', rest.submitted, deadline - simReserve);
    log(`at rest: ${rest.submitted} builds measured and drained`);
    const real = await loadRun(stack, db, redis, request(repo, 'load-real'), 'load-real', deadline - simReserve);
    await stack.stop();
    stack = undefined;

    let sim: RunReport | undefined;
    if (Date.now() < deadline - 30_000) {
      stack = await startStack({ ...stackOpts, root: join(services.root, 'sim'), prefix: 'load-sim', agents: [] });
      // The workers start once every build is queued: what is measured is how fast the API's
      // recorder, BullMQ and the merger move builds to final, not how fast the clients submit.
      const prefix = 'load-sim';
      sim = await loadRun(stack, db, redis, request(repo, prefix), prefix, deadline, async () => {
        stopSim = await startSimAgents(services.redisUrl, prefix);
      }).catch((err: Error) => {
        log(`simulated-agent run failed: ${err.stack}`); // the real run's results still print
        return undefined;
      });
    } else log('no time left for the simulated-agent run');
    printSummary({ builds: BUILDS, clients: CLIENTS, platforms: PLATFORMS, simConcurrency: SIM_CONCURRENCY, rest: rest.latencies, real, sim });
  } finally {
    await stopSim?.();
    await stack?.stop();
    await db.end();
    redis.disconnect();
    await services.stop();
  }
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
