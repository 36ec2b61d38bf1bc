// bench/logs: live log fan-out. A build whose RUN step prints timestamped lines at a steady rate,
// followed by N SSE clients (GET /api/v1/builds/:id/logs/stream): latency from the line's
// timestamp (busybox ash $EPOCHREALTIME, µs) to its arrival at each client, the API process's CPU
// per 1,000 lines/s fanned out, and the build's duration with 0 clients vs N clients.
//   npm run bench:logs [-- --clients 50 --rate 200 --seconds 20 --rounds 2]
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { redisKeys } from '@archway/contract';
import { benchServices, median, percentile } from '../lib/services.ts';
import { makeGitRepo } from '../../test/harness/git-repo.ts';
import { startStack, type Stack } from '../../test/harness/stack.ts';
import { apiPid, clockTicks, cpuTicks, CpuSampler } from './proc.ts';
import { followLog, type FollowResult } from './sse-client.ts';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  const v = i === -1 ? NaN : Number(process.argv[i + 1]);
  return Number.isFinite(v) && v > 0 ? v : dflt;
};
const CLIENTS = arg('clients', 50);
const RATE = arg('rate', 200);
const SECONDS = arg('seconds', 20);
const ROUNDS = arg('rounds', 2);
const TICK_MS = 20;
const PER_TICK = Math.max(1, Math.round((RATE * TICK_MS) / 1000));
const TICKS = Math.round((SECONDS * 1000) / TICK_MS);
const TOTAL = PER_TICK * TICKS;
const PLATFORM = 'linux/amd64';

// ash's $EPOCHREALTIME is the wall clock in µs when `echo` runs; the sleep between bursts is a
// fixed interval (not an absolute schedule), so an agent that stalls its output makes the step longer.
const SCRIPT = [
  'i=0; t=0',
  `while [ $t -lt ${TICKS} ]; do`,
  `  n=0; while [ $n -lt ${PER_TICK} ]; do i=$((i+1)); echo "bench-line seq=$i t=$EPOCHREALTIME round=$ROUND"; n=$((n+1)); done`,
  `  /bin/busybox usleep ${TICK_MS * 1000}; t=$((t+1))`,
  'done',
].join('\n');
const CONTAINERFILE = `FROM scratch
COPY busybox /bin/busybox
ARG ROUND=0
RUN ["/bin/busybox", "sh", "-c", ${JSON.stringify(SCRIPT)}]
`;
const LINE_RE = /^bench-line seq=(\d+) t=(\d+\.\d+)/;

interface Run {
  clients: number;
  buildMs: number;
  stepMs: number;
  /** Wall time from the first to the last line's timestamp. */
  windowMs: number;
  cpuPercent: number;
  latencies: number[];
  /** ms from each line's timestamp to the agent's XADD (the Redis stream id): the agent's side alone. */
  toRedis: number[];
  complete: number;
}

interface BuildView {
  status: string;
  error: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  tasks: { id: string; phases: { kind: string; name: string; durationMs: number | null }[] }[];
}

const PREFIX = 'benchlogs';

/** Line timestamp → XADD time of every bench line of a task's log stream (read back from Redis). */
async function agentLatencies(redis: Redis, taskId: string): Promise<number[]> {
  const key = redisKeys(PREFIX).log(taskId);
  const out: number[] = [];
  let start = '-';
  for (;;) {
    const page = (await redis.xrange(key, start, '+', 'COUNT', 1000)) as [string, string[]][];
    for (const [id, fields] of page) {
      const line = fields[fields.indexOf('l') + 1];
      const m = fields.includes('l') && line ? LINE_RE.exec(line) : null;
      if (m) out.push(Number(id.split('-')[0]) - Number(m[2]) * 1000);
    }
    if (page.length < 1000) return out;
    start = `(${page[page.length - 1]![0]}`;
  }
}

async function oneRun(stack: Stack, redis: Redis, repo: { url: string; commit: string }, pid: number, clients: number, round: string): Promise<Run> {
  const sampler = new CpuSampler(pid, 100);
  const res = await stack.api('/api/v1/builds', {
    method: 'POST',
    body: JSON.stringify({ source: { url: repo.url, ref: 'main', commit: repo.commit }, platforms: [PLATFORM], push: false, buildArgs: { ROUND: round } }),
  });
  if (res.status !== 202) throw new Error(`POST /builds: ${res.status} ${await res.text()}`);
  const { id } = (await res.json()) as { id: string };
  const url = `${stack.url}/api/v1/builds/${id}/logs/stream?platform=${encodeURIComponent(PLATFORM)}`;
  const followers: Promise<FollowResult>[] = [];
  for (let c = 0; c < clients; c++) followers.push(followLog(url, stack.token, LINE_RE));
  let build: BuildView;
  for (;;) {
    build = (await (await stack.api(`/api/v1/builds/${id}`)).json()) as BuildView;
    if (build.status === 'succeeded') break;
    if (build.status === 'failed' || build.status === 'canceled') throw new Error(`build ${build.status}: ${build.error}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const results = await Promise.all(followers);
  sampler.stop();
  // The line window from the log itself (the same whether or not anyone followed it).
  const text = await (await stack.api(`/api/v1/builds/${id}/logs?platform=${encodeURIComponent(PLATFORM)}`)).text();
  const stamps = text
    .split('\n')
    .map((l) => LINE_RE.exec(l))
    .filter((m) => m !== null)
    .map((m) => Number(m[2]) * 1000);
  if (stamps.length !== TOTAL) throw new Error(`the log has ${stamps.length} bench lines, expected ${TOTAL}`);
  const from = stamps[0]!;
  const to = stamps[stamps.length - 1]!;
  const step = build.tasks[0]!.phases.find((p) => p.kind === 'step' && /RUN/.test(p.name));
  return {
    clients,
    buildMs: Date.parse(build.finishedAt!) - Date.parse(build.startedAt!),
    stepMs: step?.durationMs ?? NaN,
    windowMs: to - from,
    cpuPercent: sampler.percentBetween(from, to),
    latencies: results.flatMap((r) => r.latencies),
    toRedis: await agentLatencies(redis, build.tasks[0]!.id),
    complete: results.filter((r) => r.seqs === TOTAL && r.inOrder).length,
  };
}

async function main() {
  console.log(
    `bench:logs — ${CLIENTS} clients, ${PER_TICK} lines every ${TICK_MS} ms (${(PER_TICK * 1000) / TICK_MS} lines/s nominal) for ${SECONDS} s = ${TOTAL} lines, ${ROUNDS} rounds`,
  );
  const services = await benchServices();
  const work = join(services.root, 'work');
  const repo = await makeGitRepo(join(work, 'repo'), { Containerfile: CONTAINERFILE, busybox: { copyFrom: '/bin/busybox' } });
  const stack = await startStack({
    root: join(work, 'stack'),
    databaseUrl: services.databaseUrl,
    redisUrl: services.redisUrl,
    prefix: PREFIX,
    registryHost: services.registryHost,
    agents: [PLATFORM],
    env: { ARCHWAY_LOG_LEVEL: 'warn' },
  }).catch(async (err) => {
    await services.stop();
    throw err;
  });
  const runs: Run[] = [];
  const redis = new Redis(services.redisUrl);
  try {
    const pid = await apiPid();
    console.log(`api pid ${pid}, CLK_TCK ${clockTicks()}, api CPU so far ${(cpuTicks(pid) / clockTicks()).toFixed(1)} s`);
    await oneRun(stack, redis, repo, pid, 0, 'warmup'); // clone cache, COPY layer, JIT: not counted
    for (let r = 0; r < ROUNDS; r++) {
      // ABBA order so drift (other work on the machine) hits both sides alike.
      for (const clients of r % 2 === 0 ? [0, CLIENTS] : [CLIENTS, 0]) {
        const run = await oneRun(stack, redis, repo, pid, clients, `r${r}-c${clients}`);
        runs.push(run);
        console.log(
          `round ${r + 1} clients ${String(clients).padStart(3)}: build ${(run.buildMs / 1000).toFixed(2)} s, RUN step ${(run.stepMs / 1000).toFixed(2)} s, ` +
            `agent→Redis p95 ${percentile(run.toRedis, 95).toFixed(1)} ms, ` +
            `API CPU ${run.cpuPercent.toFixed(1)} %${clients ? `, latency p50 ${percentile(run.latencies, 50).toFixed(1)} ms p95 ${percentile(run.latencies, 95).toFixed(1)} ms, ${run.complete}/${clients} clients got all ${TOTAL} lines in order` : ''}`,
        );
      }
    }
  } finally {
    redis.disconnect();
    await stack.stop();
    await services.stop();
  }
  report(runs);
  process.exit(0);
}

function report(runs: Run[]) {
  const rows = [0, CLIENTS].map((clients) => {
    const rs = runs.filter((r) => r.clients === clients);
    const lat = rs.flatMap((r) => r.latencies);
    const rate = median(rs.map((r) => ((TOTAL - 1) * 1000) / r.windowMs));
    return {
      clients,
      rate,
      deliveries: rate * clients,
      p50: lat.length ? percentile(lat, 50) : NaN,
      p95: lat.length ? percentile(lat, 95) : NaN,
      p99: lat.length ? percentile(lat, 99) : NaN,
      redis50: percentile(
        rs.flatMap((r) => r.toRedis),
        50,
      ),
      redis95: percentile(
        rs.flatMap((r) => r.toRedis),
        95,
      ),
      cpu: median(rs.map((r) => r.cpuPercent)),
      build: median(rs.map((r) => r.buildMs)),
      step: median(rs.map((r) => r.stepMs)),
      complete: rs.reduce((n, r) => n + r.complete, 0),
      expected: rs.length * clients,
    };
  });
  const [idle, busy] = rows as [(typeof rows)[0], (typeof rows)[0]];
  const f = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : '–');
  console.log('');
  console.log(
    '| clients | lines/s | deliveries/s | line → client p50 | p95 | p99 | line → Redis (agent) p50 / p95 | API CPU | build | RUN step | clients complete |',
  );
  console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const r of rows) {
    console.log(
      `| ${r.clients} | ${f(r.rate, 0)} | ${f(r.deliveries, 0)} | ${f(r.p50)} ms | ${f(r.p95)} ms | ${f(r.p99)} ms | ${f(r.redis50)} / ${f(r.redis95)} ms | ${f(r.cpu)} % | ${f(r.build / 1000, 2)} s | ${f(r.step / 1000, 2)} s | ${r.clients ? `${r.complete}/${r.expected}` : '–'} |`,
    );
  }
  const perK = busy.deliveries > 0 ? (busy.cpu / busy.deliveries) * 1000 : NaN;
  const marginalPerK = busy.deliveries > 0 ? ((busy.cpu - idle.cpu) / busy.deliveries) * 1000 : NaN;
  console.log('');
  console.log(`API CPU per 1,000 lines/s fanned out: ${f(perK, 2)} % of a core (${f(marginalPerK, 2)} % above the 0-client baseline of ${f(idle.cpu)} %)`);
  console.log(
    `build duration ${CLIENTS} clients / 0 clients: ${f(busy.build / idle.build, 3)} (RUN step ${f(busy.step / idle.step, 3)}); ≈ 1 means viewers do not slow the agent`,
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
