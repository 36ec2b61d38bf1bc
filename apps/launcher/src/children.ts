import { spawn, type ChildProcess } from 'node:child_process';
import { formatDuration } from '@archway/contract';
import { fileURLToPath } from 'node:url';
import { withParentDeathSignal } from '@archway/runtime';

/** Where the processes' entry points live, relative to this file. */
export const ENTRY_POINTS = {
  api: fileURLToPath(new URL('../../api/src/main.ts', import.meta.url)),
  merger: fileURLToPath(new URL('../../merger/src/main.ts', import.meta.url)),
  agent: fileURLToPath(new URL('../../agent/src/main.ts', import.meta.url)),
} as const;
export type ChildName = keyof typeof ENTRY_POINTS;

/**
 * Node flags of each process, wherever it is started (here, deploy/kubernetes, deploy/single-host;
 * test/deploy/manifests.test.ts checks they agree). The merger streams archives of gigabytes:
 * V8's young generation would grow to 2 × 16 MiB of semi-spaces and stay there; capped at 2 MiB,
 * its peak RSS publishing a 1 GiB archive drops by ≈ 25 MiB at no measurable cost in time
 * (bench/merge (d), apps/merger/ENV.md).
 */
export const NODE_FLAGS: Record<ChildName, string[]> = { api: [], merger: ['--max-semi-space-size=2'], agent: [] };

export interface Supervised {
  name: string;
  /** The running child's pid (undefined between a death and its restart). */
  pid(): number | undefined;
  stop(): Promise<void>;
}

/** Exit code our processes use for invalid configuration: restarting cannot help. */
export const CONFIG_ERROR_EXIT = 2;

/**
 * The signal each child gets from the kernel when the launcher dies without stopping it (SIGKILL,
 * OOM killer): SIGTERM lets the API close and the agent requeue its build (it sees it was orphaned
 * and does not wait for the build); the merger holds nothing a restart cannot resume.
 */
export const PARENT_DEATH_SIGNAL: Record<string, NodeJS.Signals> = { api: 'SIGTERM', agent: 'SIGTERM', merger: 'SIGKILL' };

/**
 * Runs one entry point as a child — a bundle (`.mjs`, bundle.ts: what `npm start` runs) by plain
 * node with source maps, a TypeScript file (the test suite's stacks) through tsx — prefixing its
 * output with its name, and restarts it with backoff if it dies on its own — a crash of the merger must not leave
 * a running API with nobody publishing. The child gets `PARENT_DEATH_SIGNAL[name]` (default
 * SIGTERM) if this process dies first (setpriv; see @archway/runtime's withParentDeathSignal).
 */

export function supervise(name: string, entry: string, env: NodeJS.ProcessEnv, log: (line: string) => void, onFatal?: (reason: string) => void): Supervised {
  let child: ChildProcess | undefined;
  let stopping = false;
  let restarts = 0;
  let startedAt = 0;

  const start = () => {
    startedAt = Date.now();
    const flags = NODE_FLAGS[name as ChildName] ?? [];
    const runtime = entry.endsWith('.mjs') ? ['--enable-source-maps'] : ['--import', 'tsx'];
    const run = withParentDeathSignal(process.execPath, [...flags, ...runtime, entry], PARENT_DEATH_SIGNAL[name] ?? 'SIGTERM', env);
    child = spawn(run.cmd, run.args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const forward = (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) if (line) log(`[${name}] ${line}`);
    };
    child.stdout?.on('data', forward);
    child.stderr?.on('data', forward);
    child.once('exit', (code, signal) => {
      if (stopping) return;
      if (code === CONFIG_ERROR_EXIT) {
        stopping = true;
        log(`[${name}] stopped: invalid configuration (see the lines above); not restarting`);
        onFatal?.(`${name}: invalid configuration`);
        return;
      }
      // A process that ran for a minute gets a fresh backoff.
      if (Date.now() - startedAt > 60_000) restarts = 0;
      const delay = Math.min(30_000, 500 * 2 ** restarts++);
      log(`[${name}] exited (${signal ?? code}); restarting in ${formatDuration(delay)}`);
      setTimeout(() => !stopping && start(), delay).unref();
    });
  };
  start();

  return {
    name,
    pid: () => (child && child.exitCode === null && child.signalCode === null ? child.pid : undefined),
    stop: () =>
      new Promise<void>((resolve) => {
        stopping = true;
        if (!child || child.exitCode !== null || child.signalCode !== null) return resolve();
        const kill = setTimeout(() => child?.kill('SIGKILL'), 30_000);
        child.once('exit', () => {
          clearTimeout(kill);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}
