import type { ChildProcess } from 'node:child_process';

export interface KeptRunning {
  pid(): number;
  /** Stops it for good with `signal` and resolves once it exited. */
  stop(): Promise<void>;
}

/**
 * Keeps a service (Redis, Postgres) running: when it dies on its own it is started again with
 * `start` (same port, same data, so Redis reloads its AOF and Postgres recovers from its WAL),
 * with backoff; a service up for a minute gets a fresh backoff. When this process exits on a
 * path that skips stop(), the service gets `signal` too (SIGKILL: the parent-death signal does it).
 */
export function keepRunning(opts: {
  name: string;
  first: ChildProcess;
  start: () => Promise<ChildProcess>;
  signal: NodeJS.Signals;
  restart?: boolean;
  log?: (line: string) => void;
}): KeptRunning {
  let child = opts.first;
  let stopping = false;
  let restarts = 0;
  let startedAt = Date.now();
  const restartLater = (why: string) => {
    if (stopping || !opts.restart) return;
    if (Date.now() - startedAt > 60_000) restarts = 0;
    const delay = Math.min(30_000, 500 * 2 ** restarts++);
    opts.log?.(`[${opts.name}] ${why}; restarting in ${delay} ms`);
    setTimeout(() => {
      if (stopping) return;
      startedAt = Date.now();
      opts.start().then(
        (c) => {
          child = c;
          opts.log?.(`[${opts.name}] restarted`);
          watch(c);
        },
        (err: Error) => restartLater(`restart failed: ${err.message}`),
      );
    }, delay);
  };
  const watch = (c: ChildProcess) => c.once('exit', (code, signal) => restartLater(`exited (${signal ?? code})`));
  watch(child);
  const onExit = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill(opts.signal);
  };
  process.once('exit', onExit);
  return {
    pid: () => child.pid!,
    stop: () =>
      new Promise<void>((done) => {
        stopping = true;
        process.off('exit', onExit);
        if (child.exitCode !== null || child.signalCode !== null) return done();
        child.once('exit', () => done());
        child.kill(opts.signal);
      }),
  };
}
