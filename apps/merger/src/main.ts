import { PUBLISH_QUEUE } from '@archway/contract';
import { createLogger, exitOnConfigError, RedisSetupError, type Logger } from '@archway/runtime';
import { startTracing, type Tracing } from '@archway/runtime/tracing';
import { loadMergerEnv } from './env.ts';
import { mergerLineLog, startMerger, type MergerHandle } from './worker.ts';

/** `tsx apps/merger/src/main.ts`: the publish worker as its own process (apps/merger/ENV.md). */
let starting: Promise<MergerHandle> | undefined;
let stopping = false;
let log: Logger = createLogger({ component: 'merger', level: 'info' });
let tracing: Tracing | undefined;

// Registered before anything else: a signal during start-up still stops cleanly.
async function stop(signal: string) {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'finishing the active jobs');
  const merger = await starting?.catch(() => undefined);
  await merger?.close();
  await tracing?.shutdown().catch(() => {});
  log.info('stopped');
  process.exit(0);
}
process.on('SIGTERM', () => void stop('SIGTERM'));
process.on('SIGINT', () => void stop('SIGINT'));

try {
  const config = loadMergerEnv();
  log = createLogger({ component: 'merger', level: config.logLevel });
  tracing = startTracing('archway-merger');
  starting = startMerger(config, { log: mergerLineLog(log) });
  await starting;
  log.info(
    {
      queue: `${config.prefix}:${PUBLISH_QUEUE}`,
      concurrency: config.concurrency,
      authFile: config.registry.authFile,
      insecureRegistries: config.registry.insecureRegistries,
    },
    'consuming',
  );
} catch (err) {
  exitOnConfigError(err);
  log.error({ err: (err as Error).message }, 'failed to start');
  // A Redis that would evict queue data (docs/redis.md): restarting cannot help.
  process.exit(err instanceof RedisSetupError ? 2 : 1);
}
