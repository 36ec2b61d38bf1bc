/**
 * The build agent's entry point: `tsx apps/agent/src/main.ts` (configuration: apps/agent/ENV.md).
 * SIGTERM/SIGINT: stop taking work and let the running build finish within
 * ARCHWAY_AGENT_DRAIN_TIMEOUT; after that, or on a second signal, the build is stopped and its task
 * goes back to the queue (requeued, no attempt used) for another agent. A second signal, or a
 * signal after the parent died (the launcher's parent-death signal; this process was re-parented),
 * requeues at once and exits within FORCE_CLOSE_MARGIN_MS, whether Redis answers or not.
 */
import { exitOnConfigError, RedisSetupError } from '@archway/runtime';
import { startTracing, type Tracing } from '@archway/runtime/tracing';
import { CLOSE_MARGIN_MS, FORCE_CLOSE_MARGIN_MS, startAgent } from './agent.ts';
import { loadConfig } from './env.ts';
import { createLogger, type Logger } from './log.ts';

let log: Logger = createLogger();
let tracing: Tracing | undefined;
// Whoever started us decides; a parent that died (its pipe closed) must not take a build with it.
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});
const parent = process.ppid;

async function main(): Promise<void> {
  let config;
  let agent;
  try {
    config = loadConfig();
    log = createLogger(undefined, config.logLevel);
    tracing = startTracing('archway-agent');
    // A data dir on an unsuitable filesystem or contradicting watermarks: ConfigError (exit 2) too.
    agent = await startAgent(config, { log });
  } catch (err) {
    exitOnConfigError(err);
    // A Redis that would evict queue data (docs/redis.md): restarting cannot help either.
    if (err instanceof RedisSetupError) {
      process.stderr.write(`archway agent: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    const orphaned = process.ppid !== parent;
    const force = signals > 1 || orphaned;
    log('signal', { signal, action: force ? 'requeue running tasks' : 'drain', ...(orphaned ? { parent: 'gone' } : {}) });
    // Spans still buffered are sent before the exit (bounded by the exporter's timeout).
    const done = (force ? agent.forceClose() : agent.close()).then(() => tracing?.shutdown().catch(() => {}));
    // The close bounds itself; this is the net under it should a library still wait on a socket.
    const bound = force ? FORCE_CLOSE_MARGIN_MS : agent.currentTasks().length > 0 ? config.drainTimeoutMs + CLOSE_MARGIN_MS : 5_000;
    setTimeout(() => process.exit(0), bound + 2000).unref();
    done.then(
      () => process.exit(0),
      (err: Error) => {
        log('agent.close-failed', { error: err.message }, 'error');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

main().catch((err: Error) => {
  log('agent.crashed', { error: err.message }, 'error');
  process.exit(1);
});
