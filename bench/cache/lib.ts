// Shared by bench/cache/run.ts (one agent's own cache) and bench/cache/shared.ts (the layer
// cache shared by agents through a registry): the repository, the agent process, the timing.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { BuildEvent, JOB_CATALOG, parsePlatform, redisKeys, type BuildJob } from '@archway/contract';
import { commitFiles, makeGitRepo } from '../../test/harness/git-repo.ts';

export const PLATFORM = parsePlatform('linux/amd64');
const MAIN = fileURLToPath(new URL('../../apps/agent/src/main.ts', import.meta.url));

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

/** The benchmark repository: a commit, and a second one with one source file changed. */
export async function benchRepo(root: string, work: number) {
  const src: Record<string, string> = {};
  for (let i = 0; i < 20; i++) src[`src/module${i}.txt`] = `module ${i}\n`.repeat(200);
  const repo = await makeGitRepo(join(root, 'repo'), {
    Containerfile: CONTAINERFILE(work),
    busybox: { copyFrom: '/bin/busybox' },
    'deps.txt': 'deps v1\n',
    ...src,
  });
  const changedCommit = await commitFiles(repo.dir, { 'src/module7.txt': 'module 7, edited\n' }, 'edit one file');
  return { repo, changedCommit };
}

export interface Sample {
  totalMs: number;
  phases: Record<string, number>;
  steps: number;
  cached: number;
  archiveKey: string;
}

/** The real agent (`main.ts`) as a process with `env` (plus PATH/HOME), once it said `agent.started`. */
export async function startAgentProcess(env: Record<string, string>): Promise<{ child: ChildProcess; stop(): Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? '/root', ARCHWAY_AGENT_MIN_FREE_SPACE: '1GB', ARCHWAY_AGENT_STOP_FREE_SPACE: '200MB', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  await waitUntil(() => out.includes('agent.started'), 60_000);
  return {
    child,
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}

let seq = 0;
/** Queues one build job and waits for it: enqueue → completed, with its phases and cache hits. */
export async function runJob(queue: Queue, redis: Redis, prefix: string, source: BuildJob['source'], extra: Partial<BuildJob> = {}): Promise<Sample> {
  seq++;
  const job: BuildJob = {
    buildId: `bench-b${seq}-${Date.now()}`,
    taskId: `bench-t${seq}-${Date.now()}`,
    platform: PLATFORM,
    source,
    context: '.',
    buildArgs: {},
    ...extra,
  };
  const t0 = performance.now();
  await queue.add('build', job, { jobId: job.taskId, attempts: JOB_CATALOG.build.attempts });
  let archiveKey = '';
  for (;;) {
    const j = await queue.getJob(job.taskId);
    const state = j ? await j.getState() : 'missing';
    if (state === 'completed') {
      archiveKey = (await queue.getJob(job.taskId))!.returnvalue.archiveKey;
      break;
    }
    if (state === 'failed') throw new Error(`build failed: ${j?.failedReason}`);
    await sleep(20);
  }
  const totalMs = performance.now() - t0;
  return { totalMs, archiveKey, ...(await phaseTimes(redis, prefix, job.taskId)) };
}

/** Phase durations (clone, build, export, upload) and step cache hits, from the events stream. */
async function phaseTimes(redis: Redis, prefix: string, taskId: string): Promise<Omit<Sample, 'totalMs' | 'archiveKey'>> {
  const entries = await redis.xrange(redisKeys(prefix).events, '-', '+');
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

export const sleep = (msec: number) => new Promise((r) => setTimeout(r, msec));
export const ms = (x: number) => `${(x / 1000).toFixed(2)} s`;

export async function waitUntil(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await sleep(50);
  }
}
