import { PUBLISH_QUEUE } from '@archway/contract';
import { RedisSetupError } from '@archway/runtime';
import { loadMergerEnv, MergerConfigError } from './env.ts';
import { startMerger, type MergerHandle } from './worker.ts';

/** `tsx apps/merger/src/main.ts`: the publish worker as its own process. */
let starting: Promise<MergerHandle> | undefined;
let stopping = false;

// Registered before anything else: a signal during start-up still stops cleanly.
async function stop(signal: string) {
  if (stopping) return;
  stopping = true;
  console.log(`merger: ${signal}, finishing the active jobs`);
  const merger = await starting?.catch(() => undefined);
  await merger?.close();
  console.log('merger: stopped');
  process.exit(0);
}
process.on('SIGTERM', () => void stop('SIGTERM'));
process.on('SIGINT', () => void stop('SIGINT'));

try {
  const config = loadMergerEnv();
  starting = startMerger(config);
  await starting;
  console.log(
    `merger: consuming ${config.prefix}:${PUBLISH_QUEUE} (concurrency ${config.concurrency}); auth file ${config.registry.authFile ?? 'none'}; insecure registries: ${config.registry.insecureRegistries.join(', ') || 'none'}`,
  );
} catch (err) {
  console.error(`merger: ${(err as Error).message}`);
  process.exit(err instanceof MergerConfigError || err instanceof RedisSetupError ? 2 : 1);
}
