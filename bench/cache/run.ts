// bench/cache: the agent's persistent layer cache. One agent (the real `main.ts` process) builds
// the same commit cold (empty storage), then again unchanged (warm), then a commit with one
// changed source file. Prints the times, their ratios to cold, per-phase times and cache hits,
// and the agent's idle RSS and CPU.
//   npx tsx bench/cache/run.ts [--rounds 3] [--work 48]
// --work: iterations of the "dependency install" step (16 MiB of urandom hashed each), i.e. how
// expensive the cold build is; a warm rebuild's cost is nearly fixed (clone, cache lookups, export).
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { BuildEvent, buildQueueName, JOB_CATALOG, parsePlatform, type BuildJob } from '@archway/contract';
import { redisKeys } from '@archway/contract';
import { startRedis } from '../../apps/launcher/src/redis.ts';
import { commitFiles, makeGitRepo } from '../../test/harness/git-repo.ts';
import { median } from '../lib/services.ts';

const PLATFORM = parsePlatform('linux/amd64');
const PREFIX = 'bench';
const MAIN = fileURLToPath(new URL('../../apps/agent/src/main.ts', import.meta.url));
const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i === -1 ? fallback : Number(process.argv[i + 1]) || fallback;
};
const rounds = arg('--rounds', 1);
const work = arg('--work', 48);

// A "dependency install" step that costs CPU and leaves a modest layer (like pip/npm install),
// then the application's sources and a "compile" step over them. A changed source file
// invalidates only the last two steps.
const CONTAINERFILE = (iterations: number) => `FROM scratch
COPY busybox /bin/busybox
COPY deps.txt /deps.txt
RUN ["/bin/busybox", "sh", "-c", "i=0; while [ $i -lt ${iterations} ]; do /bin/busybox dd if=/dev/urandom bs=1M count=16 2>/dev/null | /bin/busybox sha256sum >> /deps.lock; i=$((i+1)); done; /bin/busybox dd if=/dev/urandom of=/deps.bin bs=1M count=8 2>/dev/null"]
COPY src/ /src/
RUN ["/bin/busybox", "sh", "-c", "/bin/busybox cat /src/* | /bin/busybox sha256sum > /app.build"]
`;

interface Sample {
  totalMs: number;
  phases: Record<string, number>;
  steps: number;
  cached: number;
}

async function main() {
  const root = await mkdtemp(join(tmpdir(), 'archway-bench-cache-'));
  const redisServer = await startRedis({ dir: join(root, 'redis') });
  const redis = new Redis(redisServer.url, { maxRetriesPerRequest: 3 });
  const queue = new Queue(buildQueueName(PLATFORM), { connection: { url: redisServer.url }, prefix: PREFIX });
  const src: Record<string, string> = {};
  for (let i = 0; i < 20; i++) src[`src/module${i}.txt`] = `module ${i}\n`.repeat(200);
  const repo = await makeGitRepo(join(root, 'repo'), {
    Containerfile: CONTAINERFILE(work),
    busybox: { copyFrom: '/bin/busybox' },
    'deps.txt': 'deps v1\n',
    ...src,
  });
  const changedCommit = await commitFiles(repo.dir, { 'src/module7.txt': 'module 7, edited\n' }, 'edit one file');

  const results: Record<'cold' | 'warm' | 'changed', Sample[]> = { cold: [], warm: [], changed: [] };
  let idle: { rssMb: number; cpuPct: number } | undefined;
  let seq = 0;
  try {
    for (let r = 0; r < rounds; r++) {
      const dataDir = join(root, `agent-${r}`);
      await rm(dataDir, { recursive: true, force: true }); // cold: empty storage
      const agent = spawn(process.execPath, ['--import', 'tsx', MAIN], {
        env: {
          PATH: process.env.PATH!,
          HOME: process.env.HOME ?? '/root',
          REDIS_URL: redisServer.url,
          ARCHWAY_QUEUE_PREFIX: PREFIX,
          ARCHWAY_OBJECT_STORE: `file://${join(root, 'objects')}`,
          ARCHWAY_AGENT_PLATFORM: PLATFORM,
          ARCHWAY_AGENT_DATA_DIR: dataDir,
          ARCHWAY_AGENT_ID: 'bench-agent',
          ARCHWAY_AGENT_MIN_FREE_SPACE: '1GB',
          ARCHWAY_AGENT_STOP_FREE_SPACE: '200MB',
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      agent.stdout!.on('data', (d) => (out += d));
      await waitUntil(() => out.includes('agent.started'), 60_000);

      const build = async (commit: string): Promise<Sample> => {
        seq++;
        const job: BuildJob = {
          buildId: `bench-b${seq}`,
          taskId: `bench-t${seq}`,
          platform: PLATFORM,
          source: { url: repo.url, ref: 'main', commit },
          context: '.',
          buildArgs: {},
        };
        const t0 = performance.now();
        await queue.add('build', job, { jobId: job.taskId, attempts: JOB_CATALOG.build.attempts });
        for (;;) {
          const j = await queue.getJob(job.taskId);
          const state = j ? await j.getState() : 'missing';
          if (state === 'completed') break;
          if (state === 'failed') throw new Error(`build failed: ${j?.failedReason}`);
          await sleep(20);
        }
        const totalMs = performance.now() - t0;
        return { totalMs, ...(await phaseTimes(redis, job.taskId)) };
      };

      results.cold.push(await build(repo.commit));
      results.warm.push(await build(repo.commit));
      results.changed.push(await build(changedCommit));
      console.log(
        `round ${r + 1}/${rounds}: cold ${ms(results.cold[r]!.totalMs)}, warm ${ms(results.warm[r]!.totalMs)}, one file changed ${ms(results.changed[r]!.totalMs)}`,
      );

      if (r === rounds - 1) idle = await idleUsage(agent.pid!, 10_000);
      agent.kill('SIGTERM');
      await new Promise((resolve) => agent.once('exit', resolve));
    }
  } finally {
    await queue.close();
    redis.disconnect();
    await redisServer.stop();
    await rm(root, { recursive: true, force: true });
  }

  const cold = median(results.cold.map((s) => s.totalMs));
  const warm = median(results.warm.map((s) => s.totalMs));
  const changed = median(results.changed.map((s) => s.totalMs));
  console.log('');
  for (const kind of ['cold', 'warm', 'changed'] as const) {
    const s = results[kind].at(-1)!;
    const phases = Object.entries(s.phases)
      .map(([k, v]) => `${k} ${ms(v)}`)
      .join(', ');
    console.log(`${kind.padEnd(8)} median ${ms(median(results[kind].map((x) => x.totalMs))).padStart(8)}   steps cached ${s.cached}/${s.steps}   (${phases})`);
  }
  console.log(`warm unchanged / cold: ${(warm / cold).toFixed(3)}  (target <= 0.10; the seeds' BuildKit farm: ~0.20)  [--work ${work}]`);
  console.log(`one file changed / cold: ${(changed / cold).toFixed(3)}`);
  if (idle) console.log(`agent idle: RSS ${idle.rssMb.toFixed(1)} MB, CPU ${idle.cpuPct.toFixed(2)}% of one core (10 s sample)`);
  process.exit(0);
}

/** Phase durations (clone, build, export, upload) and step cache hits, from the events stream. */
async function phaseTimes(redis: Redis, taskId: string): Promise<Omit<Sample, 'totalMs'>> {
  const entries = await redis.xrange(redisKeys(PREFIX).events, '-', '+');
  const events = entries.map(([, f]) => BuildEvent.parse(JSON.parse(f[f.indexOf('e') + 1]!))).filter((e) => 'taskId' in e && e.taskId === taskId);
  const started = new Map<string, number>();
  const phases: Record<string, number> = {};
  let steps = 0;
  let cached = 0;
  for (const e of events) {
    if (e.type === 'phase.started') started.set(e.name, Date.parse(e.at));
    if (e.type === 'phase.ended') {
      if (e.name.startsWith('step ')) {
        steps++;
        if (e.cached) cached++;
      } else phases[e.name] = Date.parse(e.at) - (started.get(e.name) ?? Date.parse(e.at));
    }
  }
  return { phases, steps, cached };
}

/** RSS and CPU of an idle process over `windowMs`, from /proc (utime + stime in clock ticks). */
async function idleUsage(pid: number, windowMs: number): Promise<{ rssMb: number; cpuPct: number }> {
  const ticks = async () => {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]); // utime, stime
  };
  await sleep(3000); // let the last build's aftermath (cache measurement) settle
  const t0 = await ticks();
  await sleep(windowMs);
  const t1 = await ticks();
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(await readFile(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  const CLK_TCK = 100;
  return { rssMb: rssKb / 1024, cpuPct: ((t1 - t0) / CLK_TCK / (windowMs / 1000)) * 100 };
}

const sleep = (msec: number) => new Promise((r) => setTimeout(r, msec));
const ms = (x: number) => `${(x / 1000).toFixed(2)} s`;

async function waitUntil(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await sleep(50);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
