import { spawn, type StdioOptions } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import type { Readable } from 'node:stream';
import { findOnPath, withParentDeathSignal } from '@archway/runtime';
import { readLines } from './lines.ts';
import { tailFile } from './tail.ts';

export interface ProcessResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** True when the run was stopped through the abort signal. */
  aborted: boolean;
}

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  /**
   * Called for every output line, one at a time, in arrival order per stream; with `outputFile`,
   * stdout and stderr are one stream (`output`) in the order the child wrote them.
   */
  onLine?: (line: string, stream: 'stdout' | 'stderr' | 'output') => void | Promise<void>;
  /**
   * Send stdout and stderr straight to this file (created 0600, truncated) instead of pipes, and
   * read the lines from it. The child never waits for the reader: buildah's chroot runtime relays
   * RUN output through a buffer it drops when it exits, so a reader slower than the output lost
   * the end of it (see tail.ts). Finishes once the process exited and the file is read to its end.
   */
  outputFile?: string;
  /** Grace period between SIGTERM and SIGKILL of the process group. */
  killAfterMs?: number;
  /** Called with the pid (= process group id) once the child runs. */
  onSpawn?: (pid: number) => void;
}

export const KILL_AFTER_MS = 5000;

/**
 * Runs a program with an argument array (never a shell), streaming its output line by line.
 * The child leads its own process group (`detached`), so aborting stops everything it started:
 * SIGTERM to the group, SIGKILL after the grace period. Being detached, it would outlive a
 * SIGKILLed agent: it runs under `setpriv --pdeathsig SIGKILL` (when setpriv is on PATH), so the
 * kernel kills it with the agent; buildah's own helpers (chroot runtime, RUN process) carry their
 * own parent-death signal and follow.
 */
export function runProcess(cmd: string, args: string[], opts: RunOptions = {}): Promise<ProcessResult> {
  return new Promise<ProcessResult>((resolvePromise, reject) => {
    if (opts.signal?.aborted) return resolvePromise({ code: null, signal: null, aborted: true });
    const env = opts.env ?? process.env;
    const notFound = () => new Error(`${cmd} not found: install it or set its path in the agent's environment`);
    const run = withParentDeathSignal(cmd, args, 'SIGKILL', env);
    // Through setpriv a missing program is setpriv's exit 127, not ENOENT: say which one is missing.
    if (run.guarded && (isAbsolute(cmd) || !cmd.includes('/')) && !findOnPath(cmd, env)) return reject(notFound());
    let stdio: StdioOptions = ['ignore', 'pipe', 'pipe'];
    let outFd: number | undefined;
    if (opts.outputFile) {
      outFd = openSync(opts.outputFile, 'w', 0o600);
      // One open file for both: its shared offset keeps stdout and stderr lines in write order.
      stdio = ['ignore', outFd, outFd];
    }
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(run.cmd, run.args, { cwd: opts.cwd, env, detached: true, stdio });
    } finally {
      // The child has its own copy; ours would only keep the file open.
      if (outFd !== undefined) closeSync(outFd);
    }
    if (child.pid) opts.onSpawn?.(child.pid);
    let aborted = false;
    let killTimer: NodeJS.Timeout | undefined;
    const killGroup = (sig: NodeJS.Signals) => {
      try {
        if (child.pid) process.kill(-child.pid, sig);
      } catch {
        // Already gone.
      }
    };
    const onAbort = () => {
      aborted = true;
      killGroup('SIGTERM');
      killTimer = setTimeout(() => killGroup('SIGKILL'), opts.killAfterMs ?? KILL_AFTER_MS);
      killTimer.unref();
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });

    // Lines of both streams go through one chain so the consumer sees one line at a time.
    let chain: Promise<void> = Promise.resolve();
    let lineError: unknown;
    const pump = async (stream: Readable, name: 'stdout' | 'stderr') => {
      for await (const line of readLines(stream)) {
        if (!opts.onLine) continue;
        chain = chain
          .then(() => opts.onLine!(line, name))
          .catch((err) => {
            lineError ??= err;
          });
        await chain;
      }
    };
    let exited!: () => void;
    const exitedPromise = new Promise<void>((r) => (exited = r));
    const pumps = opts.outputFile
      ? tailFile(opts.outputFile, { onLine: (l) => opts.onLine?.(l, 'output'), writerDone: exitedPromise, stopped: opts.signal }).catch((err) => {
          lineError ??= err;
        })
      : Promise.all([pump(child.stdout!, 'stdout'), pump(child.stderr!, 'stderr')]);

    child.once('error', (err) => {
      opts.signal?.removeEventListener('abort', onAbort);
      exited();
      const e = err as NodeJS.ErrnoException;
      reject(e.code === 'ENOENT' ? notFound() : err);
    });
    child.once('exit', () => {
      // A grandchild may outlive the leader and hold the pipes open; make sure the group is gone.
      if (aborted) killGroup('SIGKILL');
    });
    child.once('close', (code, signal) => {
      // No pipes with `outputFile`: 'close' follows 'exit' at once, the file is then read to its end.
      exited();
      opts.signal?.removeEventListener('abort', onAbort);
      if (killTimer) clearTimeout(killTimer);
      pumps
        .then(() => chain)
        .then(() => {
          if (lineError) reject(lineError);
          else resolvePromise({ code, signal, aborted });
        }, reject);
    });
  });
}

/** Runs a program and collects its output (small outputs only: ids, listings). */
export async function capture(cmd: string, args: string[], opts: Omit<RunOptions, 'onLine'> = {}): Promise<ProcessResult & { lines: string[] }> {
  const lines: string[] = [];
  const result = await runProcess(cmd, args, { ...opts, onLine: (l) => void lines.push(l) });
  return { ...result, lines };
}
