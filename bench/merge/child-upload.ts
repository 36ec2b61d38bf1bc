// Child process of bench/merge: the agent's upload path (apps/agent uploadFile) moving one archive
// from local disk to the object store. Prints one JSON line with its peak RSS.
//   BENCH_ARGS='{"store":"file:///…","key":"…","path":"…"}' node --import tsx child-upload.ts [--noop]
import { createObjectStore } from '@archway/runtime';
import { uploadFile } from '../../apps/agent/src/task/upload.ts';

const args = JSON.parse(process.env.BENCH_ARGS ?? '{}') as { store: string; key: string; path: string };
const started = performance.now();
let size = 0;
if (!process.argv.includes('--noop')) {
  const store = createObjectStore(args.store);
  size = (await uploadFile(store, args.key, args.path)).size;
  (store as { destroy?: () => void }).destroy?.();
}
const maxRssMiB = process.resourceUsage().maxRSS / 1024;
console.log(JSON.stringify({ maxRssMiB, ms: performance.now() - started, size }));
