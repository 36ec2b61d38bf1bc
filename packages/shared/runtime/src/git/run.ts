import { spawn } from 'node:child_process';
import { findOnPath, withParentDeathSignal } from '../parent-death.ts';
import { maskUrlCredentials } from '../redact-url.ts';
import { gitEnv } from './env.ts';

/**
 * The timeout policy: a git call that answers a request (ls-remote, reading one file) has a
 * deadline, GIT_TIMEOUT_MS unless the caller configures another; a call that is part of a build
 * (the agent's fetch) has the build's own limit instead, through its AbortSignal.
 */
export const GIT_TIMEOUT_MS = 20_000;
/** A cancelled git gets this long after SIGTERM before SIGKILL. */
const KILL_AFTER_MS = 5000;
/** stdout kept in memory (ls-remote of a big repository, one file's text). */
const MAX_STDOUT = 32 * 1024 * 1024;

export interface GitRunOptions {
  cwd?: string;
  /** The git binary (default `git`). */
  git?: string;
  /** No deadline when absent: then `signal` is the only way to stop it. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Every output line, credentials masked, one at a time in arrival order. */
  onLine?: (line: string) => void | Promise<void>;
}

export interface GitResult {
  /** Exit code; 127 when git is not installed, 124 on timeout, null when aborted. */
  code: number | null;
  stdout: string;
  /** git's messages, credentials masked: safe for error texts and logs. */
  stderr: string;
  timedOut: boolean;
  aborted: boolean;
}

/**
 * Runs git with an argument array (never a shell) in the shared environment (gitEnv). git leads
 * its own process group so a timeout or an abort also stops its helpers (ssh, git-remote-https).
 */
export function runGit(args: string[], opts: GitRunOptions = {}): Promise<GitResult> {
  return new Promise((resolve) => {
    if (opts.signal?.aborted) return resolve({ code: null, stdout: '', stderr: '', timedOut: false, aborted: true });
    const git = opts.git ?? 'git';
    const env = gitEnv();
    // git dies with this process even on kill -9 (an agent's fetch, the API's ls-remote): setpriv's
    // parent-death signal where it exists. Through setpriv a missing git is exit 127 too; say so.
    const run = withParentDeathSignal(git, args, 'SIGKILL', env);
    if (run.guarded && !findOnPath(git, env)) {
      return resolve({ code: 127, stdout: '', stderr: `${git} is not installed on this machine`, timedOut: false, aborted: false });
    }
    const child = spawn(run.cmd, run.args, { cwd: opts.cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'], shell: false });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let aborted = false;
    let lines: Promise<void> = Promise.resolve();
    const partial = { stdout: '', stderr: '' };
    const killGroup = (sig: NodeJS.Signals) => {
      try {
        if (child.pid) process.kill(-child.pid, sig);
      } catch {
        // Already gone.
      }
    };
    const emit = (text: string) => {
      if (!opts.onLine) return;
      const line = maskUrlCredentials(text);
      lines = lines.then(() => opts.onLine!(line)).catch(() => {});
    };
    const feed = (stream: 'stdout' | 'stderr', chunk: string, flush = false) => {
      const parts = (partial[stream] + chunk).split(/\r\n|\r|\n/);
      partial[stream] = flush ? '' : parts.pop()!;
      for (const l of parts) if (l !== '') emit(l);
    };
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      if (stdout.length + c.length > MAX_STDOUT) {
        stderr += 'git printed more than 32 MiB\n';
        killGroup('SIGKILL');
        return;
      }
      stdout += c;
      feed('stdout', c);
    });
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      if (stderr.length < 64 * 1024) stderr += c;
      feed('stderr', c);
    });
    const timer =
      opts.timeoutMs !== undefined
        ? setTimeout(() => {
            timedOut = true;
            killGroup('SIGKILL');
          }, opts.timeoutMs)
        : undefined;
    let killTimer: NodeJS.Timeout | undefined;
    const onAbort = () => {
      aborted = true;
      killGroup('SIGTERM');
      killTimer = setTimeout(() => killGroup('SIGKILL'), KILL_AFTER_MS);
      killTimer.unref();
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    let finished = false;
    const finish = (code: number | null, extra = '') => {
      if (finished) return; // 'error' (not installed) may be followed by 'close'
      finished = true;
      clearTimeout(timer);
      clearTimeout(killTimer);
      opts.signal?.removeEventListener('abort', onAbort);
      feed('stdout', '', true);
      feed('stderr', '', true);
      void lines.then(() => resolve({ code: aborted ? null : timedOut ? 124 : code, stdout, stderr: maskUrlCredentials(stderr + extra), timedOut, aborted }));
    };
    child.on('error', (err: NodeJS.ErrnoException) => {
      finish(err.code === 'ENOENT' ? 127 : 1, err.code === 'ENOENT' ? `${opts.git ?? 'git'} is not installed on this machine` : err.message);
    });
    child.on('close', (code) => finish(code ?? 1));
  });
}

/** git's messages for an error text: the first lines that matter, credentials masked, bounded. */
export function gitMessage(r: GitResult, maxLines = 4): string {
  return r.stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('warning:') && !l.startsWith('hint:'))
    .slice(0, maxLines)
    .join(' ')
    .slice(0, 500);
}
