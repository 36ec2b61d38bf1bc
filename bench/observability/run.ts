// bench/observability: metrics and tracing on vs off, in one run. Two stacks side by side (API,
// merger, one linux/amd64 agent each, separate databases and key prefixes): "off" pushes no
// metrics, exports no spans and is not scraped; "on" pushes every second, exports every span to an
// OTLP/HTTP receiver and is scraped every second. Prints build time on/off, GET /api/v1/builds
// requests per second on/off, and the time of a /metrics scrape with 50 agents' pushed state and
// 1,000 finished builds seeded.
//   npm run bench:observability [-- --rounds 15 --seconds 10 --clients 8]
// Ratios are medians of paired measurements (on and off measured back to back, order alternating),
// so a burst of load elsewhere on the machine skews one pair, not the result.
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { deployMigrations } from '../../prisma/migrate.ts';
import { makeGitRepo } from '../../test/harness/git-repo.ts';
import { startOtlpReceiver } from '../../test/harness/otlp-receiver.ts';
import { startStack, type Stack } from '../../test/harness/stack.ts';
import { benchServices, median } from '../lib/services.ts';
import { requestsPerSecond, timeBuild, timeScrapes } from './measure.ts';
import { seedFinishedBuilds, seedPushedAgents } from './seed.ts';

const arg = (name: string, fallback: number) => Number(process.argv[process.argv.indexOf(`--${name}`) + 1] || fallback) || fallback;
const rounds = arg('rounds', 15);
const seconds = arg('seconds', 10);
const clients = arg('clients', 8);
const PLATFORM = 'linux/amd64';
const CONTAINERFILE = `FROM scratch
COPY busybox /bin/busybox
COPY app.txt /app.txt
RUN ["/bin/busybox", "sh", "-c", "/bin/busybox dd if=/dev/urandom of=/data.bin bs=1M count=16 2>/dev/null && /bin/busybox sha256sum /data.bin > /data.sha256"]
`;

async function secondDatabase(url: string, name: string): Promise<string> {
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  await db.query(`CREATE DATABASE ${name}`);
  await db.end();
  const u = new URL(url);
  u.pathname = `/${name}`;
  await deployMigrations(u.toString());
  return u.toString();
}

/** Scrapes /metrics every second while `on` runs, as Prometheus would. */
function scraper(stack: Stack): () => void {
  let stopped = false;
  void (async () => {
    while (!stopped) {
      await (await stack.api('/metrics')).text();
      await new Promise((r) => setTimeout(r, 1000));
    }
  })();
  return () => void (stopped = true);
}

async function main() {
  const services = await benchServices();
  const receiver = await startOtlpReceiver();
  const repo = await makeGitRepo(join(services.root, 'repo'), { Containerfile: CONTAINERFILE, busybox: { copyFrom: '/bin/busybox' }, 'app.txt': 'bench\n' });
  const common = { redisUrl: services.redisUrl, registryHost: services.registryHost, agents: [PLATFORM] };
  const onDb = await secondDatabase(services.databaseUrl, 'bench_on');
  const off = await startStack({
    ...common,
    root: join(services.root, 'off'),
    databaseUrl: services.databaseUrl,
    prefix: 'off',
    env: { ARCHWAY_METRICS_PUSH_INTERVAL: '0s' },
  });
  const on = await startStack({
    ...common,
    root: join(services.root, 'on'),
    databaseUrl: onDb,
    prefix: 'on',
    env: { ARCHWAY_METRICS_PUSH_INTERVAL: '1s', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url },
  });
  const stopScraping = scraper(on);
  const body = (i: number) => ({
    source: { url: repo.url, ref: 'main', commit: repo.commit },
    platforms: [PLATFORM],
    image: `${services.registryHost}/bench/obs`,
    tags: [`r${i}`],
  });
  const times = { off: [] as number[], on: [] as number[] };
  const rps = { off: [] as number[], on: [] as number[] };
  try {
    await timeBuild(off, body(0)); // warm-up: base layers, git cache, JIT
    await timeBuild(on, body(0));
    for (let i = 1; i <= rounds; i++) {
      // Alternate which goes first: a machine getting busier mid-round hurts both alike.
      const order = i % 2 ? (['off', 'on'] as const) : (['on', 'off'] as const);
      for (const which of order) times[which].push(await timeBuild(which === 'on' ? on : off, body(i)));
      console.log(`round ${i}/${rounds}: off ${times.off.at(-1)!.toFixed(0)} ms, on ${times.on.at(-1)!.toFixed(0)} ms`);
    }
    // One-second slices, alternating: load from elsewhere on the machine hits both alike. The
    // first pair warms the route up (JIT, connection pools) and is not counted.
    for (const which of ['off', 'on'] as const) await requestsPerSecond(which === 'on' ? on : off, '/api/v1/builds', clients, 1);
    for (let i = 0; i < seconds * 2; i++) {
      const order = i % 2 ? (['off', 'on'] as const) : (['on', 'off'] as const);
      for (const which of order) rps[which].push(await requestsPerSecond(which === 'on' ? on : off, '/api/v1/builds', clients, 1));
    }
    const bare = await timeScrapes(on, 20);
    const redis = new Redis(services.redisUrl);
    await seedPushedAgents(redis, 'on', 50);
    redis.disconnect();
    await seedFinishedBuilds(onDb, 1000);
    const seeded = await timeScrapes(on, 30);
    const build = median(times.on.map((t, i) => t / times.off[i]!));
    const req = median(rps.on.map((r, i) => r / rps.off[i]!));
    console.log('');
    console.log(
      `load average during the run: ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')} (${cpus().length} cores): ratios are only as good as the machine is quiet`,
    );
    console.log(
      `build end to end   off median ${median(times.off).toFixed(0)} ms, on ${median(times.on).toFixed(0)} ms → on/off ${build.toFixed(3)} (median of ${rounds} paired rounds; target ≤ 1.02)`,
    );
    console.log(
      `GET /api/v1/builds off ${median(rps.off).toFixed(0)} req/s, on ${median(rps.on).toFixed(0)} req/s → on/off ${req.toFixed(3)} (median of ${seconds * 2} paired 1 s slices, ${clients} clients; target ≥ 0.95)`,
    );
    console.log(`/metrics scrape    one agent: p50 ${bare.p50.toFixed(1)} ms (${bare.series} series, ${(bare.bytes / 1024).toFixed(0)} KiB)`);
    console.log(
      `/metrics scrape    50 agents + 1,000 finished builds: p50 ${seeded.p50.toFixed(1)} ms, p95 ${seeded.p95.toFixed(1)} ms (${seeded.series} series, ${(seeded.bytes / 1024).toFixed(0)} KiB)  (target < 50 ms)`,
    );
    console.log(`spans received by the OTLP receiver: ${receiver.spans.length}`);
  } finally {
    stopScraping();
    await Promise.allSettled([off.stop(), on.stop()]);
    await receiver.close();
    await services.stop();
  }
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
