// bench/cache/shared.ts: the layer cache shared by agents through a registry (docs/registries.md).
// Every build runs on a FRESH agent (the real `main.ts` process, empty storage), as when agents
// scale from zero. Per round, in one run:
//   cold      no shared cache (the baseline)
//   cold+push the same cold build writing the shared cache (--cache-to)
//   unchanged the same commit, reading the shared cache
//   changed   one source file changed, reading (and writing) the shared cache
// Storage: the cache repository and the two published images (cold, changed) in one registry vs
// the two images alone in another (blobs are shared where identical).
//   npx tsx bench/cache/shared.ts [--rounds 3] [--work 48]
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { buildQueueName } from '@archway/contract';
import { startRedis } from '../../apps/launcher/src/redis.ts';
import { startRegistry } from '../../test/harness/registry.ts';
import { median } from '../lib/services.ts';
import { benchRepo, ms, PLATFORM, runJob, startAgentProcess, type Sample } from './lib.ts';

const run = promisify(execFile);
const PREFIX = 'bench-shared';
const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i === -1 ? fallback : Number(process.argv[i + 1]) || fallback;
};
const rounds = arg('--rounds', 1);
const work = arg('--work', 48);
const KINDS = ['cold', 'cold+push', 'unchanged', 'changed'] as const;
type Kind = (typeof KINDS)[number];

async function main() {
  const root = await mkdtemp(join(tmpdir(), 'archway-bench-shared-'));
  const redisServer = await startRedis({ dir: join(root, 'redis') });
  const registry = await startRegistry({ dir: join(root, 'registry') });
  const imagesOnly = await startRegistry({ dir: join(root, 'images-only') });
  const redis = new Redis(redisServer.url, { maxRetriesPerRequest: 3 });
  const queue = new Queue(buildQueueName(PLATFORM), { connection: { url: redisServer.url }, prefix: PREFIX });
  const conf = join(root, 'registries.conf');
  await writeFile(conf, `[[registry]]\nlocation = "${registry.host}"\ninsecure = true\n`);
  const { repo, changedCommit } = await benchRepo(root, work);
  const objects = join(root, 'objects');

  const results = Object.fromEntries(KINDS.map((k) => [k, [] as Sample[]])) as Record<Kind, Sample[]>;
  let storage: { cacheAndImages: number; imagesOnly: number; cacheOnly: number } | undefined;
  let agentSeq = 0;
  /** One build on an agent started for it with empty storage; the agent's start is not timed. */
  const onFreshAgent = async (commit: string, cache?: { scope: string; write: boolean }) => {
    const agent = await startAgentProcess({
      REDIS_URL: redisServer.url,
      ARCHWAY_QUEUE_PREFIX: PREFIX,
      ARCHWAY_OBJECT_STORE: `file://${objects}`,
      ARCHWAY_AGENT_PLATFORM: PLATFORM,
      ARCHWAY_AGENT_DATA_DIR: join(root, `agent-${++agentSeq}`),
      ARCHWAY_AGENT_ID: `bench-agent-${agentSeq}`,
      ARCHWAY_AGENT_AFFINITY_WAIT: '0',
      ARCHWAY_AGENT_REGISTRIES_CONF: conf,
      ARCHWAY_AGENT_CACHE_REPO: `${registry.host}/archway-cache`,
    });
    try {
      return await runJob(queue, redis, PREFIX, { url: repo.url, ref: 'main', commit }, cache ? { cache } : {});
    } finally {
      await agent.stop();
      await rm(join(root, `agent-${agentSeq}`), { recursive: true, force: true });
    }
  };
  try {
    for (let r = 0; r < rounds; r++) {
      const scope = `round-${r}`; // an empty cache repository each round
      results.cold.push(await onFreshAgent(repo.commit));
      const before = await du(join(root, 'registry'));
      results['cold+push'].push(await onFreshAgent(repo.commit, { scope, write: true }));
      results.unchanged.push(await onFreshAgent(repo.commit, { scope, write: true }));
      results.changed.push(await onFreshAgent(changedCommit, { scope, write: true }));
      console.log(`round ${r + 1}/${rounds}: ${KINDS.map((k) => `${k} ${ms(results[k][r]!.totalMs)}`).join(', ')}`);
      if (r === 0) {
        const cacheOnly = (await du(join(root, 'registry'))) - before;
        // Publish the two images (cold and changed) as the merger would: the archives' blobs as they are.
        const archives = [results['cold+push'][0]!.archiveKey, results.changed[0]!.archiveKey];
        const imagesBefore = await du(join(root, 'images-only'));
        for (const [i, key] of archives.entries()) {
          for (const host of [registry.host, imagesOnly.host]) {
            await run('skopeo', ['copy', '--dest-tls-verify=false', `oci-archive:${join(objects, key)}`, `docker://${host}/bench/app:v${i}`]);
          }
        }
        storage = {
          cacheAndImages: (await du(join(root, 'registry'))) - before,
          imagesOnly: (await du(join(root, 'images-only'))) - imagesBefore,
          cacheOnly,
        };
      }
    }
  } finally {
    await queue.close();
    redis.disconnect();
    await Promise.allSettled([redisServer.stop(), registry.stop(), imagesOnly.stop()]);
    await rm(root, { recursive: true, force: true });
  }

  console.log('');
  const cold = median(results.cold.map((s) => s.totalMs));
  for (const kind of KINDS) {
    const s = results[kind].at(-1)!;
    const phases = Object.entries(s.phases)
      .map(([k, v]) => `${k} ${ms(v)}`)
      .join(', ');
    console.log(`${kind.padEnd(10)} median ${ms(median(results[kind].map((x) => x.totalMs))).padStart(8)}   steps cached ${s.cached}/${s.steps}   (${phases})`);
  }
  const ratio = (k: Kind) => (median(results[k].map((s) => s.totalMs)) / cold).toFixed(3);
  console.log(`fresh agent, unchanged, shared cache / cold: ${ratio('unchanged')}  (target <= 0.35)  [--work ${work}]`);
  console.log(`fresh agent, one file changed, shared cache / cold: ${ratio('changed')}  (target <= 0.5)`);
  console.log(`cold build pushing the cache / cold build without: ${ratio('cold+push')}  (target <= 1.15)`);
  if (storage) {
    const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;
    console.log(
      `registry storage, cache repository + 2 published images: ${mib(storage.cacheAndImages)} vs the images alone ${mib(storage.imagesOnly)} → ${(storage.cacheAndImages / storage.imagesOnly).toFixed(3)}  (target <= 1.25; the cache alone, before publishing: ${mib(storage.cacheOnly)})`,
    );
  }
  process.exit(0);
}

/** Bytes under a directory (`du -sb`): what the registry's filesystem storage holds. */
async function du(dir: string): Promise<number> {
  const { stdout } = await run('du', ['-sb', dir]);
  return Number(stdout.split('\t')[0]);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
