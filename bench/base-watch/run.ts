// bench/base-watch: what the base-image watcher costs the registries, and how fast it reacts.
//   npx tsx bench/base-watch/run.ts [--refs 5] [--rounds 5] [--interval-ms 2000]
// (1) Registry requests per watched reference per hour at the default interval (30m), counted over
//     one simulated hour (the watcher's ticks and the poller's token clock driven by a fake clock),
//     against a plain docker-registry and one with token auth (tokens live 300 s, as Docker Hub's);
//     the baseline is the floor at that interval: one HEAD per poll.
// (2) Time from a base image's push (buildah push returned) to the dependent branch's build being
//     queued, in real time at a short interval; the target is ≤ 2 polling intervals.
import { execFile } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { FsObjectStore } from '@archway/runtime';
import { createPrisma, type PrismaClient } from '../../apps/api/src/infra/db.ts';
import { createQueues } from '../../apps/api/src/infra/queue/queues.ts';
import { createRedis, redisReady } from '../../apps/api/src/infra/queue/redis.ts';
import type { AppDeps } from '../../apps/api/src/deps.ts';
import { RegistryPoller, startBaseWatch, tickMs } from '../../apps/api/src/workers/base-watch/index.ts';
import { watchTick } from '../../apps/api/src/workers/base-watch/watch.ts';
import { startTokenServer } from '../../apps/merger/src/registry/test-support/token-server.ts';
import { startRegistry } from '../../test/harness/registry.ts';
import { pushBaseImage } from '../../test/harness/base-image.ts';
import { makeGitRepo } from '../../test/harness/git-repo.ts';
import { benchServices, median } from '../lib/services.ts';

const run = promisify(execFile);
const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i === -1 ? fallback : Number(process.argv[i + 1]) || fallback;
};
const REFS = arg('--refs', 5);
const ROUNDS = arg('--rounds', 5);
const INTERVAL_MS = arg('--interval-ms', 2000);
const DEFAULT_INTERVAL_MS = 30 * 60_000;
const HOUR = 3_600_000;

/** A repository that opted in, whose newest build of main recorded `bases` (reference → digest). */
async function dependent(prisma: PrismaClient, cloneUrl: string, name: string, bases: Record<string, string>): Promise<{ repoId: string; buildId: string }> {
  const repo = await prisma.repo.create({
    data: { fullName: `bench/${name}`, provider: 'github', cloneUrl, platforms: ['linux/amd64'], webhookSecret: 'x', rebuildOnBaseChange: true },
  });
  const buildId = await recordBuild(prisma, repo.id, cloneUrl, bases);
  return { repoId: repo.id, buildId };
}

async function recordBuild(prisma: PrismaClient, repoId: string, cloneUrl: string, bases: Record<string, string>): Promise<string> {
  const build = await prisma.build.create({
    data: {
      sourceUrl: cloneUrl,
      ref: 'main',
      platforms: ['linux/amd64'],
      status: 'succeeded',
      repoId,
      triggerRef: 'branch:main',
      tasks: {
        create: {
          platform: 'linux/amd64',
          status: 'built',
          baseImages: Object.entries(bases).map(([reference, digest]) => ({ reference, digest })),
        },
      },
    },
  });
  return build.id;
}

type Push = (dir: string, ref: string, content: string) => Promise<string>;

async function requestsPerHour(deps: AppDeps, registryHost: string, label: string, root: string, push: Push = pushBaseImage): Promise<number> {
  const bases: Record<string, string> = {};
  for (let i = 0; i < REFS; i++) {
    const ref = `${registryHost}/bench/${label}-${i}:1`;
    bases[ref] = await push(join(root, `${label}-${i}`), ref, `${label} ${i}\n`);
  }
  const git = await makeGitRepo(join(root, `${label}-app`), { Containerfile: 'FROM scratch\n' });
  await dependent(deps.prisma, git.url, label, bases);
  let clock = Date.now();
  let requests = 0;
  const poller = new RegistryPoller({ insecureRegistries: [registryHost], now: () => clock, onRequest: () => requests++ });
  const start = clock;
  let rebuilt = 0;
  // The first poll of each reference starts the hour (the watcher polls a new reference at once).
  for (; clock < start + HOUR; clock += tickMs(DEFAULT_INTERVAL_MS)) {
    rebuilt += (await watchTick(deps, { poller, intervalMs: DEFAULT_INTERVAL_MS }, new Date(clock))).rebuilt.length;
  }
  if (rebuilt) throw new Error(`${label}: ${rebuilt} rebuilds although no base changed`);
  await deps.prisma.repo.deleteMany({});
  await deps.prisma.baseImageWatch.deleteMany({});
  return requests / REFS;
}

async function main() {
  const services = await benchServices();
  const root = services.root;
  const prisma = createPrisma(services.databaseUrl);
  const redis = createRedis(services.redisUrl, 'bench-base-watch');
  await redisReady(redis);
  const prefix = 'bench';
  const deps: AppDeps = {
    prisma,
    redis,
    queues: createQueues(redis, prefix),
    prefix,
    objectStore: new FsObjectStore(join(root, 'objects')),
    publicUrl: 'http://archway.bench',
    bodyLimit: 1 << 20,
    allowLocalSources: true,
  };
  const tokens = await startTokenServer(await mkdtemp(join(root, 'tokens-')), { user: 'robot', password: 'p@ss', refreshToken: 'r' });
  const authed = await startRegistry({ dir: join(root, 'authed'), extraConfig: tokens.registryConfig });
  try {
    const floor = HOUR / DEFAULT_INTERVAL_MS;
    const plainRate = await requestsPerHour(deps, services.registryHost, 'plain', root);
    // Pushing into the token registry needs credentials: push to the plain one, copy with skopeo.
    const viaCopy: Push = async (dir, ref, content) => {
      const staged = `${services.registryHost}/staging/${ref.split('/').slice(1).join('/')}`;
      const digest = await pushBaseImage(dir, staged, content);
      await run('skopeo', ['copy', '--src-tls-verify=false', '--dest-tls-verify=false', '--dest-creds', 'robot:p@ss', `docker://${staged}`, `docker://${ref}`]);
      return digest;
    };
    const authedRate = await requestsPerHour(deps, authed.host, 'authed', root, viaCopy);
    console.log(`(1) registry requests per watched reference per hour at the default interval (${DEFAULT_INTERVAL_MS / 60_000} min), ${REFS} references:`);
    console.log(`    floor (one HEAD per poll)   ${floor.toFixed(2)}`);
    console.log(`    plain registry              ${plainRate.toFixed(2)}  ratio ${(plainRate / floor).toFixed(2)}`);
    console.log(`    token auth (300 s tokens)   ${authedRate.toFixed(2)}  ratio ${(authedRate / floor).toFixed(2)}  (token requests go to the auth realm)`);

    const latencies = await pushToQueued(deps, services.registryHost, root);
    const ratios = latencies.map((ms) => ms / INTERVAL_MS);
    console.log(`(2) base pushed → dependent build queued, interval ${INTERVAL_MS} ms (tick ${tickMs(INTERVAL_MS)} ms), ${ROUNDS} rounds:`);
    console.log(`    each ms      ${latencies.map((l) => l.toFixed(0)).join(', ')}`);
    console.log(
      `    median ${median(latencies).toFixed(0)} ms = ${median(ratios).toFixed(2)} intervals; max ${Math.max(...latencies).toFixed(0)} ms = ${Math.max(...ratios).toFixed(2)} intervals (target ≤ 2)`,
    );
  } finally {
    await deps.queues.close();
    redis.disconnect();
    await prisma.$disconnect();
    await authed.stop();
    await tokens.close();
    await services.stop();
  }
}

/** Real time: the watcher as the API runs it; each round re-pushes the base and waits for the rebuild. */
async function pushToQueued(deps: AppDeps, registryHost: string, root: string): Promise<number[]> {
  const ref = `${registryHost}/bench/latency:1`;
  let digest = await pushBaseImage(join(root, 'latency-0'), ref, 'round 0\n');
  const git = await makeGitRepo(join(root, 'latency-app'), { Containerfile: `FROM ${ref}\n` });
  const { repoId } = await dependent(deps.prisma, git.url, 'latency', { [ref]: digest });
  const watcher = await startBaseWatch(deps, { intervalMs: INTERVAL_MS, insecureRegistries: [registryHost] });
  const latencies: number[] = [];
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      // Wait for one poll of the current digest, so each round starts from a watcher in its steady state.
      await until(async () => (await deps.prisma.baseImageWatch.findUnique({ where: { reference: ref } }))?.digest === digest);
      digest = await pushBaseImage(join(root, `latency-${round}`), ref, `round ${round}\n`);
      const pushedAt = Date.now();
      const build = await until(() => deps.prisma.build.findFirst({ where: { repoId, trigger: 'base-image', status: 'queued' } }));
      latencies.push(build.createdAt.getTime() - pushedAt);
      // What the agent would record: the rebuild ran on the new base.
      await deps.prisma.build.update({ where: { id: build.id }, data: { status: 'succeeded' } });
      await deps.prisma.task.updateMany({ where: { buildId: build.id }, data: { status: 'built', baseImages: [{ reference: ref, digest }] } });
    }
  } finally {
    await watcher.close();
  }
  return latencies;
}

async function until<T>(check: () => Promise<T | null | undefined | false>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
