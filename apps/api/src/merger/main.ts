import { loadMergerEnv } from './env.ts';
import { startMerger } from './worker.ts';

/** `tsx apps/api/src/merger/main.ts`: the publish worker as its own process. */
const config = loadMergerEnv();
const merger = await startMerger(config);
console.log(
  `merger: consuming ${config.prefix}:publish (concurrency ${config.concurrency}); auth file ${config.registry.authFile ?? 'none'}; insecure registries: ${config.registry.insecureRegistries.join(', ') || 'none'}`,
);

let stopping = false;
const stop = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  console.log(`merger: ${signal}, finishing the active jobs`);
  await merger.close();
  process.exit(0);
};
process.on('SIGTERM', () => void stop('SIGTERM'));
process.on('SIGINT', () => void stop('SIGINT'));
