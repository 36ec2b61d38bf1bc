import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GIT_ALLOWED_PROTOCOLS, redactUrl } from '@archway/runtime';

/**
 * The little git the API does for registered repositories: which refs exist (to tell a branch from
 * a tag, and for "is this the highest release"), and one file at a commit (.archway.yaml).
 * Argument arrays only; URLs come from the registered repository, never from a webhook body.
 */
export const GIT_TIMEOUT_MS = 30_000;

export class GitError extends Error {}

function gitEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    GIT_TERMINAL_PROMPT: '0',
    GIT_ASKPASS: '/bin/true',
    GIT_SSH_COMMAND: process.env.GIT_SSH_COMMAND ?? 'ssh -o BatchMode=yes',
    GIT_ALLOW_PROTOCOL: GIT_ALLOWED_PROTOCOLS,
    LC_ALL: 'C',
  };
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function git(args: string[], opts: { cwd?: string; timeoutMs?: number } = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      'git',
      args,
      { cwd: opts.cwd, env: gitEnv(), timeout: opts.timeoutMs ?? GIT_TIMEOUT_MS, killSignal: 'SIGKILL', maxBuffer: 32 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const e = err as (NodeJS.ErrnoException & { killed?: boolean }) | null;
        if (e?.code === 'ENOENT') return resolve({ code: 127, stdout: '', stderr: 'git is not installed on the API server' });
        if (e?.killed) return resolve({ code: 124, stdout, stderr: `git ${args[0]} timed out` });
        resolve({ code: e ? (typeof e.code === 'number' ? e.code : 1) : 0, stdout, stderr });
      },
    );
  });
}

function failure(what: string, url: string, r: Run): GitError {
  const msg = r.stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('warning:'))
    .slice(0, 3)
    .join(' ')
    .split(url)
    .join(redactUrl(url))
    .replace(/\/\/[^/@\s]+@/g, '//***@')
    .slice(0, 400);
  return new GitError(`${what} ${redactUrl(url)} failed: ${msg || `git exited with ${r.code}`}`);
}

/** `git ls-remote` of the given patterns (all refs when none): ref name → commit (peeled for annotated tags). */
export async function lsRemote(url: string, patterns: string[] = [], timeoutMs?: number): Promise<Map<string, string>> {
  // An annotated tag's commit is only listed when its peeled name (`^{}`) is asked for too.
  const peeled = patterns.filter((p) => p.startsWith('refs/tags/') && !p.includes('*')).map((p) => `${p}^{}`);
  const r = await git(['ls-remote', '--', url, ...patterns, ...peeled], { timeoutMs });
  if (r.code !== 0) throw failure('git ls-remote', url, r);
  const refs = new Map<string, string>();
  for (const line of r.stdout.split('\n')) {
    const [sha, name] = line.split('\t');
    if (!sha || !name) continue;
    // An annotated tag's `^{}` line names the commit; it wins over the tag object.
    if (name.endsWith('^{}')) refs.set(name.slice(0, -3), sha);
    else if (!refs.has(name)) refs.set(name, sha);
  }
  return refs;
}

/** Every tag name of the repository (without `refs/tags/`). */
export async function listTags(url: string, timeoutMs?: number): Promise<string[]> {
  const refs = await lsRemote(url, ['refs/tags/*'], timeoutMs);
  return [...refs.keys()].map((r) => r.slice('refs/tags/'.length));
}

/**
 * The text of one file at a commit, or undefined when the commit has no such file. Fetches just
 * that commit (shallow, and without blobs where the server can filter) into a throwaway directory.
 */
export async function readFileAtCommit(url: string, commit: string, path: string, timeoutMs?: number): Promise<string | undefined> {
  const dir = await mkdtemp(join(tmpdir(), 'archway-git-'));
  try {
    const opts = { cwd: dir, timeoutMs };
    for (const args of [['init', '-q', '.'], ['remote', 'add', 'origin', '--', url]]) {
      const r = await git(args, opts);
      if (r.code !== 0) throw failure(`git ${args[0]} for`, url, r);
    }
    const fetched = await git(['-c', 'protocol.ext.allow=never', 'fetch', '-q', '--depth', '1', '--no-tags', '--filter=blob:none', 'origin', commit], opts);
    if (fetched.code !== 0) throw failure(`git fetch of ${commit} from`, url, fetched);
    const exists = await git(['cat-file', '-e', `${commit}:${path}`], opts);
    if (exists.code !== 0) return undefined;
    const shown = await git(['cat-file', 'blob', `${commit}:${path}`], opts);
    if (shown.code !== 0) throw failure(`git cat-file ${path} of`, url, shown);
    return shown.stdout;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
