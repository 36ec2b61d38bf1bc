// bench/cache: the agent's persistent layer cache. One agent (the real `main.ts` process) builds
// the same commit cold (empty storage), then again unchanged (warm), then a commit with one
// changed source file. Prints the times, their ratios to cold, per-phase times and cache hits,
// and the agent's idle RSS and CPU.
//   npx tsx bench/cache/run.ts [--rounds 3] [--work 48]
// --work: iterations of the "dependency install" step (16 MiB of urandom hashed each), i.e. how
// expensive the cold build is; a warm rebuild's cost is nearly fixed (clone, cache lookups, export).
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { buildQueueName } from '@archway/contract';
import { startRedis } from '../../apps/launcher/src/redis.ts';
import { median } from '../lib/services.ts';
import { benchRepo, ms, PLATFORM, runJob, sleep, startAgentProcess, type Sample } from './lib.ts';

const PREFIX = 'bench';
const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i === -1 ? fallback : Number(process.argv[i + 1]) || fallback;
};
const rounds = arg('--rounds', 1);
const work = arg('--work', 48);

async function main() {
  const root = await mkdtemp(join(tmpdir(), 'archway-bench-cache-'));
  const redisServer = await startRedis({ dir: join(root, 'redis') });
  const redis = new Redis(redisServer.url, { maxRetriesPerRequest: 3 });
  const queue = new Queue(buildQueueName(PLATFORM), { connection: { url: redisServer.url }, prefix: PREFIX });
  const { repo, changedCommit } = await benchRepo(root, work);

  const results: Record<'cold' | 'warm' | 'changed', Sample[]> = { cold: [], warm: [], changed: [] };
  let idle: { rssMb: number; cpuPct: number } | undefined;
  try {
    for (let r = 0; r < rounds; r++) {
      const dataDir = join(root, `agent-${r}`);
      await rm(dataDir, { recursive: true, force: true }); // cold: empty storage
      const agent = await startAgentProcess({
        REDIS_URL: redisServer.url,
        ARCHWAY_QUEUE_PREFIX: PREFIX,
        ARCHWAY_OBJECT_STORE: `file://${join(root, 'objects')}`,
        ARCHWAY_AGENT_PLATFORM: PLATFORM,
        ARCHWAY_AGENT_DATA_DIR: dataDir,
        ARCHWAY_AGENT_ID: 'bench-agent',
      });
      const build = (commit: string) => runJob(queue, redis, PREFIX, { url: repo.url, ref: 'main', commit });

      results.cold.push(await build(repo.commit));
      results.warm.push(await build(repo.commit));
      results.changed.push(await build(changedCommit));
      console.log(
        `round ${r + 1}/${rounds}: cold ${ms(results.cold[r]!.totalMs)}, warm ${ms(results.warm[r]!.totalMs)}, one file changed ${ms(results.changed[r]!.totalMs)}`,
      );

      if (r === rounds - 1) idle = await idleUsage(agent.child.pid!, 10_000);
      await agent.stop();
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

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
