// bench/merge: publishing a pair of per-platform archives (random, incompressible layers).
//   (a) the seeds' path: skopeo copy oci-archive → containers-storage per platform, buildah manifest
//       create/add, buildah manifest push --all (fresh overlay storage root);
//   (b) Archway's publishBuild from the object store to a fresh repository;
//   (c) pipelined: platform 1 pushed early; last platform's task.built → tags written;
//   (d) peak RSS of the merger and of the agent's upload path moving a 1 GiB archive (child processes;
//       the merger's bundled and run with plain `node` as in production, default settings).
//   npm run bench:merge [-- --rounds 3 --mib 320 --layers 4 --big-mib 1024 --rss-rounds 3 --s3 --keep --rss-only]
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { bundleOptions } from '../../scripts/bundle-options.mjs';
import { objectKeys, parsePlatform, type BuildResult } from '@archway/contract';
import { createObjectStore, type ObjectStore } from '@archway/runtime';
import { NODE_FLAGS } from '../../apps/launcher/src/children.ts';
import { startRedis } from '../../apps/launcher/src/redis.ts';
import { publishBuild, pushPlatform } from '../../apps/merger/src/index.ts';
import { RegistryPool } from '../../apps/merger/src/registry/index.ts';
import { startRegistry } from '../../test/harness/registry.ts';
import { startS3 } from '../../test/harness/s3.ts';
import { cpuMs } from '../logs/proc.ts';
import { fileSource, generateArchive, type GeneratedArchive } from './generate.ts';
import { describePeak, type MemoryPeaks } from './memory-sampler.ts';
import { pipelined, type PipelinedTiming } from './pipelined.ts';
import { seedsPath } from './seeds.ts';

const run = promisify(execFile);
const MiB = 1024 * 1024;
const PLATFORMS = ['linux/amd64', 'linux/arm64'].map(parsePlatform);
const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? dflt : Number(process.argv[i + 1]);
};
const pairMiB = arg('mib', 320);
const layerCount = arg('layers', 4);
const bigMiB = arg('big-mib', 1024);
const rounds = Math.max(1, arg('rounds', 3));
const useS3 = process.argv.includes('--s3');
const keep = process.argv.includes('--keep');
/** Only (d): the peak RSS measurements. */
const rssOnly = process.argv.includes('--rss-only');
/** Publishes of the 1 GiB archive per merger variant in (d). */
const rssRounds = Math.max(1, arg('rss-rounds', 3));

/** Layer sizes for one platform: `total` bytes split 4:3:2:1-like over `n` layers. */
function layerSizes(total: number, n: number): number[] {
  const weights = Array.from({ length: n }, (_, i) => n - i);
  const sum = weights.reduce((a, b) => a + b, 0);
  return weights.map((w) => Math.floor((total * w) / sum));
}

async function put(store: ObjectStore, buildId: string, a: GeneratedArchive): Promise<BuildResult> {
  const key = objectKeys.archive(buildId, a.platform);
  const stored = await store.put(key, fileSource(a.path), { contentLength: a.size });
  if (stored.digest !== a.digest) throw new Error(`stored ${key} has digest ${stored.digest}, expected ${a.digest}`);
  return {
    taskId: `${buildId}-${a.platform}`,
    platform: a.platform,
    archiveKey: key,
    archiveSize: a.size,
    archiveDigest: a.digest,
    archiveLayoutDigest: a.layoutDigest,
    manifestDigest: a.manifestDigest,
  };
}

interface ChildResult {
  maxRssMiB: number;
  ms: number;
  cpuMs?: number;
  memory?: MemoryPeaks;
}

/**
 * Bundles a bench child as scripts/bundle.mjs bundles the merger (into node_modules/.cache, so that
 * its external packages resolve), to be run with plain `node`: tsx's loader costs ≈ 30 MiB of RSS
 * that production does not have.
 */
async function bundleChild(script: string): Promise<string> {
  const outdir = fileURLToPath(new URL('../../node_modules/.cache/bench-merge/', import.meta.url));
  const name = script.replace(/^\.\//, '').replace(/\.ts$/, '');
  await build(bundleOptions({ [name]: fileURLToPath(new URL(script, import.meta.url)) }, outdir));
  return join(outdir, `${name}.mjs`);
}

/** Runs a bench child (`node --import tsx`, or plain `node` for a bundle) and returns the JSON line it prints. */
function child(script: string, args: object, extra: string[] = [], nodeFlags: string[] = []): Promise<ChildResult> {
  const bundled = script.endsWith('.mjs');
  const entry = bundled ? script : fileURLToPath(new URL(script, import.meta.url));
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [...nodeFlags, ...(bundled ? [] : ['--import', 'tsx']), entry, ...extra], {
      env: { ...process.env, BENCH_ARGS: JSON.stringify(args) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.once('exit', (code) => {
      const line = out.trim().split('\n').at(-1) ?? '';
      if (code === 0 && line.startsWith('{')) resolve(JSON.parse(line));
      else reject(new Error(`${script} exited ${code}: ${err || out}`));
    });
  });
}

function median(xs: number[]): number {
  const sorted = [...xs].sort((x, y) => x - y);
  const m = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[m]! : (sorted[m - 1]! + sorted[m]!) / 2;
}

const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const highest = (xs: ChildResult[]) => xs.reduce((a, b) => (b.maxRssMiB > a.maxRssMiB ? b : a));
/** `max 150 MiB (runs 140, 150, 145)` */
const rss = (xs: ChildResult[]) =>
  `max ${highest(xs).maxRssMiB.toFixed(0)} MiB${xs.length > 1 ? ` (runs ${xs.map((x) => x.maxRssMiB.toFixed(0)).join(', ')})` : ''}`;
const runs = (xs: number[]) => (xs.length > 1 ? ` (${xs.map((x) => (x / 1000).toFixed(2)).join(', ')})` : '');
const times = (xs: ChildResult[]) => {
  const [ms, cpu] = [xs.map((x) => x.ms), xs.map((x) => x.cpuMs ?? 0)];
  return `median ${s(median(ms))}${runs(ms)}, CPU ${s(median(cpu))}${runs(cpu)}`;
};
const mib = (bytes: number) => `${(bytes / MiB).toFixed(1)} MiB`;

async function main() {
  const root = await mkdtemp(join(tmpdir(), 'archway-bench-merge-'));
  const [redis, s3] = await Promise.all([startRedis({ dir: join(root, 'redis') }), useS3 ? startS3({ dir: join(root, 's3') }) : Promise.resolve(null)]);
  // Children inherit the S3 settings through the environment, like a deployment would set them.
  if (s3) Object.assign(process.env, s3.env);
  const storeUrl = s3 ? `s3://${s3.bucket}/bench` : `file://${join(root, 'objects')}`;
  const store = createObjectStore(storeUrl);
  try {
    if (!rssOnly) console.log(`generating two archives, ${pairMiB} MiB of random layers together (${layerCount} layers each)…`);
    const archives: GeneratedArchive[] = [];
    for (const p of rssOnly ? [] : PLATFORMS)
      archives.push(await generateArchive(join(root, 'archives'), p, layerSizes((pairMiB * MiB) / PLATFORMS.length, layerCount)));
    const buildId = 'bench-pair';
    const results = [];
    for (const a of archives) results.push(await put(store, buildId, a));
    const pairBytes = archives.reduce((n, a) => n + a.size, 0);
    console.log(`archives: ${archives.map((a) => `${a.platform} ${mib(a.size)}`).join(', ')}; object store: ${s3 ? 's3 (s3rver)' : 'filesystem'}`);

    const a: number[] = [];
    const b: number[] = [];
    // CPU time of the merger (this process) during (b): less sensitive to the machine's load than wall time.
    const bCpu: number[] = [];
    const c: PipelinedTiming[] = [];
    // The last platform pushed on its own (fresh repository, nothing to mount): (c)'s floor.
    const alone: number[] = [];
    // The registry's own CPU time for that push: no client can make the registry hash faster.
    const aloneRegistryCpu: number[] = [];
    for (let round = 0; round < (rssOnly ? 0 : rounds); round++) {
      // A fresh registry per round: nothing pushed before can be found or mounted.
      const registry = await startRegistry({ dir: join(root, `registry-${round}`) });
      try {
        await settle();
        const seeds = await seedsPath(join(root, 'seeds'), archives, `${registry.host}/bench/seeds:latest`);
        a.push(seeds.total);
        await settle();
        const pool = new RegistryPool({ authFile: null, insecureRegistries: [registry.host] });
        const started = performance.now();
        const cpu0 = process.cpuUsage();
        await publishBuild({
          store,
          registries: pool,
          job: { buildId, image: `${registry.host}/bench/archway`, tags: ['latest'], push: true, platforms: PLATFORMS },
          results,
        });
        b.push(performance.now() - started);
        const cpu = process.cpuUsage(cpu0);
        bCpu.push((cpu.user + cpu.system) / 1000);
        await pool.close();
        await settle();
        c.push(
          await pipelined({ redisUrl: redis.url, store, registry: registry.host, image: `${registry.host}/bench/pipelined`, tags: ['latest', '1'], results }),
        );
        await settle();
        const alonePool = new RegistryPool({ authFile: null, insecureRegistries: [registry.host] });
        const aloneStarted = performance.now();
        const registryCpu0 = cpuMs(registry.pid);
        await pushPlatform({ store, client: await alonePool.client(registry.host), repository: 'bench/alone', result: results.at(-1)! });
        alone.push(performance.now() - aloneStarted);
        aloneRegistryCpu.push(cpuMs(registry.pid) - registryCpu0);
        await alonePool.close();
        console.log(
          `round ${round + 1}/${rounds}: (a) ${s(seeds.total)} [${seeds.steps.map((x) => `${x.name} ${s(x.ms)}`).join('; ')}]  (b) ${s(b.at(-1)!)}  (c) ${s(c.at(-1)!.afterLast)}`,
        );
      } finally {
        await registry.stop();
        await rm(join(root, `registry-${round}`), { recursive: true, force: true });
      }
    }

    console.log(`(d) ${bigMiB} MiB archive: agent upload and merger publish, each in a child process…`);
    const registry = await startRegistry({ dir: join(root, 'registry-big') });
    const big = await generateArchive(join(root, 'big'), PLATFORMS[0]!, layerSizes(bigMiB * MiB, 4), { gzip: false, seed: 'big' });
    const bigKey = objectKeys.archive('bench-big', big.platform);
    // The agent's upload path as deployed and as npm start runs it (bundled, plain node), and under tsx as the test stacks run it.
    const agentEntry = await bundleChild('./child-upload.ts');
    const idleAgent = await child(agentEntry, {}, ['--noop'], NODE_FLAGS.agent);
    const agent = await child(agentEntry, { store: storeUrl, key: bigKey, path: big.path }, [], NODE_FLAGS.agent);
    const agentTsx = await child('./child-upload.ts', { store: storeUrl, key: bigKey, path: big.path }, [], NODE_FLAGS.agent);
    const bigResult: BuildResult = {
      taskId: 'big',
      platform: big.platform,
      archiveKey: bigKey,
      archiveSize: big.size,
      archiveDigest: big.digest,
      archiveLayoutDigest: big.layoutDigest,
      manifestDigest: big.manifestDigest,
    };
    const mergerEntry = await bundleChild('./child-publish.ts');
    const bigJob = (repo: string) => ({
      store: storeUrl,
      registry: registry.host,
      job: { buildId: 'bench-big', image: `${registry.host}/bench/${repo}`, tags: ['latest'], push: true, platforms: [big.platform] },
      results: [bigResult],
    });
    // The merger as started by npm start, deploy/kubernetes and deploy/single-host (NODE_FLAGS),
    // and with node's defaults, alternating, each publish to a fresh repository.
    const flags = NODE_FLAGS.merger;
    const idleMerger = await child(mergerEntry, {}, ['--noop'], flags);
    const idleMergerBare = await child(mergerEntry, {}, ['--noop']);
    const merger: ChildResult[] = [];
    const mergerBare: ChildResult[] = [];
    for (let i = 0; i < rssRounds; i++) {
      merger.push(await child(mergerEntry, bigJob(`big-${i}`), [], flags));
      mergerBare.push(await child(mergerEntry, bigJob(`big-bare-${i}`)));
    }
    // The same under tsx (how this bench measured before, and how the test suite's stacks run it): its loader's own memory on top.
    const idleMergerTsx = await child('./child-publish.ts', {}, ['--noop'], flags);
    const mergerTsx = await child('./child-publish.ts', bigJob('big-tsx'), [], flags);
    await registry.stop();

    const A = median(a);
    const B = median(b);
    const C = median(c.map((x) => x.afterLast));
    const last = c.at(-1) ?? { afterLastBytes: 0, afterLastManifests: 0 };
    const all = (xs: number[]) => (xs.length > 1 ? ` (${xs.map((x) => (x / 1000).toFixed(2)).join(', ')})` : '');
    const abc: [string, string, string][] = [
      [`(a) seeds' path: skopeo copy ×${PLATFORMS.length}, buildah manifest create/add, manifest push --all`, `${s(A)}${all(a)}`, ''],
      ['(b) Archway publishBuild from the object store', `${s(B)}${all(b)}`, ''],
      ['    (b) merger CPU time (user + system)', `${s(median(bCpu))}${all(bCpu)}`, ''],
      ['b/a', (B / A).toFixed(3), '≤ 0.25'],
      ['(c) pipelined: last platform finished → tags written', `${s(C)}${all(c.map((x) => x.afterLast))}`, ''],
      ['c/b', (C / B).toFixed(3), '≤ 0.20'],
      [
        '    (c) floor: the last platform pushed on its own (no index, no tags)',
        `${s(median(alone))}${all(alone)} = ${(median(alone) / B).toFixed(3)} of (b)`,
        '',
      ],
      [
        `    (c) hard floor: the registry's CPU for that push ÷ ${cpus().length} cores`,
        `${s(median(aloneRegistryCpu) / cpus().length)} (CPU ${s(median(aloneRegistryCpu))}${all(aloneRegistryCpu)}) = ${(median(aloneRegistryCpu) / cpus().length / B).toFixed(3)} of (b)`,
        '',
      ],
      ['    (c) registry work left after the last platform', `${mib(last.afterLastBytes)} uploaded, ${last.afterLastManifests} manifest PUTs`, ''],
      ['    (c) platform 1, pushed early (before the last finished)', s(median(c.map((x) => x.earlyPush))), ''],
    ];
    const rows: [string, string, string][] = [
      ...(rssOnly ? [] : abc),
      [
        `(d) peak RSS, merger publishing a ${mib(big.size)} archive (bundled, node ${flags.join(' ')}, as deployed and as npm start runs it)`,
        `${rss(merger)} (idle: ${idleMerger.maxRssMiB.toFixed(0)} MiB; ${times(merger)})`,
        '≤ 160 MiB',
      ],
      ['    (d) where it went, the highest run', describePeak(highest(merger).memory!), ''],
      [`    same, node without flags`, `${rss(mergerBare)} (idle: ${idleMergerBare.maxRssMiB.toFixed(0)} MiB; ${times(mergerBare)})`, ''],
      ['    (d) where it went, the highest run', describePeak(highest(mergerBare).memory!), ''],
      [
        `    same, under tsx (node ${flags.join(' ')} --import tsx, as the test suite's stacks run it)`,
        `${rss([mergerTsx])} (idle: ${idleMergerTsx.maxRssMiB.toFixed(0)} MiB; ${times([mergerTsx])})`,
        '',
      ],
      [
        `(d) peak RSS, agent uploading the ${mib(big.size)} archive (bundled, as deployed and as npm start runs it)`,
        `${agent.maxRssMiB.toFixed(0)} MiB (same process idle: ${idleAgent.maxRssMiB.toFixed(0)} MiB; ${s(agent.ms)})`,
        '< 200 MiB',
      ],
      ["    same, under tsx (as the test suite's stacks run it)", `${agentTsx.maxRssMiB.toFixed(0)} MiB (${s(agentTsx.ms)})`, ''],
    ];
    console.log('');
    console.log(
      `machine: ${cpus().length} CPUs, load average ${loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')} (1/5/15 min) at the end`,
    );
    console.log(
      `pair: ${mib(pairBytes)} (${archives.map((x) => `${x.platform} ${x.layers} layers`).join(', ')}); store: ${s3 ? 's3 (s3rver)' : 'filesystem'}; registry: docker-registry on loopback; medians of ${rounds} round(s)`,
    );
    const w0 = Math.max(...rows.map((r) => r[0].length));
    const w1 = Math.max(...rows.map((r) => r[1].length));
    for (const [name, value, target] of rows) console.log(`${name.padEnd(w0)}  ${value.padEnd(w1)}  ${target}`);
  } finally {
    (store as { destroy?: () => void }).destroy?.();
    await Promise.allSettled([redis.stop(), s3?.stop()]);
    if (!keep) await rm(root, { recursive: true, force: true });
    else console.log(`kept ${root}`);
  }
  process.exit(0);
}

/** Flushes dirty pages first, so that one measurement does not pay for the previous one's writes. */
async function settle(): Promise<void> {
  await run('sync', []);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
