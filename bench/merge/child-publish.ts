// Child process of bench/merge: the merger's publishBuild reading archives from the object store
// and pushing them to the registry. Prints one JSON line with its peak RSS.
//   BENCH_ARGS='{"store":"…","registry":"host:port","job":{…},"results":[…]}' node --import tsx child-publish.ts [--noop]
import type { BuildResult, PublishJob } from '@archway/contract';
import { createObjectStore } from '@archway/runtime';
import { publishBuild } from '../../apps/merger/src/index.ts';
import { RegistryPool } from '../../apps/merger/src/registry/index.ts';

const args = JSON.parse(process.env.BENCH_ARGS ?? '{}') as {
  store: string;
  registry: string;
  job: PublishJob;
  results: BuildResult[];
  blobConcurrency?: number;
};
const started = performance.now();
const cpu0 = process.cpuUsage();
let bytesUploaded = 0;
if (!process.argv.includes('--noop')) {
  const store = createObjectStore(args.store);
  const registries = new RegistryPool({ authFile: null, insecureRegistries: [args.registry] });
  await publishBuild({ store, registries, job: args.job, results: args.results, blobConcurrency: args.blobConcurrency });
  bytesUploaded = (await registries.client(args.registry)).stats.bytesUploaded;
  await registries.close();
  (store as { destroy?: () => void }).destroy?.();
}
const maxRssMiB = process.resourceUsage().maxRSS / 1024;
const cpu = process.cpuUsage(cpu0);
console.log(JSON.stringify({ maxRssMiB, ms: performance.now() - started, cpuMs: (cpu.user + cpu.system) / 1000, bytesUploaded }));
