/**
 * The build agent's entry point: `tsx apps/agent/src/main.ts` (configuration: apps/agent/ENV.md).
 * SIGTERM/SIGINT: stop taking work and let the running build finish within
 * ARCHWAY_AGENT_DRAIN_TIMEOUT; after that, or on a second signal, the build is stopped and its task
 * goes back to the queue (requeued, no attempt used) for another agent.
 */
import { exitOnConfigError } from '@archway/runtime';
import { startAgent } from './agent.ts';
import { loadConfig } from './env.ts';
import { createLogger, type Logger } from './log.ts';

let log: Logger = createLogger();

async function main(): Promise<void> {
  let config;
  let agent;
  try {
    config = loadConfig();
    log = createLogger(undefined, config.logLevel);
    // A data dir on an unsuitable filesystem or contradicting watermarks: ConfigError (exit 2) too.
    agent = await startAgent(config, { log });
  } catch (err) {
    exitOnConfigError(err);
    throw err;
  }
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    log('signal', { signal, action: signals === 1 ? 'drain' : 'requeue running tasks' });
    const done = signals === 1 ? agent.close() : agent.forceClose();
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
