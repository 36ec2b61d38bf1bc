// Child process of bench/merge: the merger's publishBuild reading archives from the object store
// and pushing them to the registry. Prints one JSON line with its peak RSS and what it was made of.
// Bundled by run.ts as the production merger is (esbuild, scripts/bundle-plugins.mjs) and run
// with plain `node`, no tsx: the module graph of apps/merger/src/main.ts (worker, BullMQ, tracing)
// is loaded, so that the idle baseline is the merger's own.
//   BENCH_ARGS='{"store":"…","registry":"host:port","job":{…},"results":[…]}' node child-publish.mjs [--noop]
import type { BuildResult, PublishJob } from '@archway/contract';
import { createObjectStore } from '@archway/runtime';
import { startTracing } from '@archway/runtime/tracing';
import { publishBuild, startMerger } from '../../apps/merger/src/index.ts';
import { RegistryPool } from '../../apps/merger/src/registry/index.ts';
import { sampleMemory } from './memory-sampler.ts';

const args = JSON.parse(process.env.BENCH_ARGS ?? '{}') as {
  store: string;
  registry: string;
  job: PublishJob;
  results: BuildResult[];
  blobConcurrency?: number;
};
// As main.ts does (off without OTEL_* variables); startMerger is referenced so the bundle keeps it.
const tracing = startTracing('archway-merger');
void startMerger;
const started = performance.now();
const cpu0 = process.cpuUsage();
const sampler = sampleMemory();
let bytesUploaded = 0;
if (!process.argv.includes('--noop')) {
  const store = createObjectStore(args.store);
  const registries = new RegistryPool({ authFile: null, insecureRegistries: [args.registry] });
  await publishBuild({ store, registries, job: args.job, results: args.results, blobConcurrency: args.blobConcurrency });
  bytesUploaded = (await registries.client(args.registry)).stats.bytesUploaded;
  await registries.close();
  (store as { destroy?: () => void }).destroy?.();
}
const memory = sampler.stop();
await tracing.shutdown();
const cpu = process.cpuUsage(cpu0);
console.log(JSON.stringify({ maxRssMiB: memory.maxRssMiB, memory, ms: performance.now() - started, cpuMs: (cpu.user + cpu.system) / 1000, bytesUploaded }));
