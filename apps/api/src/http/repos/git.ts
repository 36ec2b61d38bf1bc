import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fetchRef, GIT_TIMEOUT_MS, gitFailure, GitError, lsRemote as runLsRemote, runGit } from '@archway/runtime';
import { gitGate } from '../../infra/git-gate.ts';
import { hostOf } from '../builds/index.ts';

/**
 * The little git the API does for registered repositories: which refs exist (to tell a branch from
 * a tag, and for "is this the highest release"), and one file at a commit (.archway.yaml).
 * Through the shared runner (environment, timeout, masking); URLs come from the registered
 * repository, never from a webhook body.
 */
export { GitError };

/** `git ls-remote` of the given patterns (all refs when none): ref name → commit (peeled for annotated tags). */
export function lsRemote(url: string, patterns: string[] = [], timeoutMs = GIT_TIMEOUT_MS): Promise<Map<string, string>> {
  return gitGate.run(hostOf(url), JSON.stringify(['ls-remote', url, patterns]), () => runLsRemote(url, patterns, { timeoutMs }));
}

/** Every tag name of the repository (without `refs/tags/`). */
export async function listTags(url: string, timeoutMs = GIT_TIMEOUT_MS): Promise<string[]> {
  const refs = await lsRemote(url, ['refs/tags/*'], timeoutMs);
  return [...refs.keys()].map((r) => r.slice('refs/tags/'.length));
}

/** What a trigger needs to know about a commit, read with git (never taken from a webhook body). */
export interface CommitFacts {
  /** The text of the file asked for; undefined when the commit has none. */
  file?: string;
  /** The commit's full message (subject, body, trailers). */
  message: string;
  /**
   * Paths changed between `before` and the commit; undefined when unknown: no `before` (a new
   * branch, a pull request), the all-zero id, or a commit the server no longer has (a force push).
   */
  changed?: string[];
}

const ZERO_SHA = /^0+$/;
const SHA_RE = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

/**
 * Reads one file, the message and (given `before`) the changed paths of a commit. Fetches just the
 * commit (and `before`), shallow and without blobs where the server can filter, into a throwaway
 * directory. Arguments are passed to git as a list, never through a shell; ids are checked first.
 */
export function inspectCommit(
  url: string,
  commit: string,
  path: string,
  opts: { before?: string | undefined; timeoutMs?: number | undefined } = {},
): Promise<CommitFacts> {
  const timeoutMs = opts.timeoutMs ?? GIT_TIMEOUT_MS;
  // Concurrent reads of one commit (a webhook storm) fetch it once.
  const key = JSON.stringify(['inspect', url, commit, path, opts.before ?? null]);
  return gitGate.run(hostOf(url), key, () => fetchCommitFacts(url, commit, path, opts.before, timeoutMs));
}

async function fetchCommitFacts(url: string, commit: string, path: string, before: string | undefined, timeoutMs: number): Promise<CommitFacts> {
  const dir = await mkdtemp(join(tmpdir(), 'archway-git-'));
  try {
    const run = (args: string[]) => runGit(args, { cwd: dir, timeoutMs });
    const init = await run(['init', '-q', '.']);
    if (init.code !== 0) throw gitFailure('git init for', url, init, timeoutMs);
    const fetched = await fetchRef(url, commit, { cwd: dir, timeoutMs, depth: 1, filter: 'blob:none' });
    if (fetched.code !== 0) throw gitFailure(`git fetch of ${commit} from`, url, fetched, timeoutMs);
    const shown = await run(['cat-file', 'commit', commit]);
    if (shown.code !== 0) throw gitFailure(`git cat-file commit ${commit} of`, url, shown, timeoutMs);
    const facts: CommitFacts = { message: messageOf(shown.stdout) };
    if ((await run(['cat-file', '-e', `${commit}:${path}`])).code === 0) {
      const file = await run(['cat-file', 'blob', `${commit}:${path}`]);
      if (file.code !== 0) throw gitFailure(`git cat-file ${path} of`, url, file, timeoutMs);
      facts.file = file.stdout;
    }
    const changed = await changedPaths(url, dir, commit, before, timeoutMs);
    if (changed) facts.changed = changed;
    return facts;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A raw commit object's message: everything after the first blank line. */
function messageOf(raw: string): string {
  const at = raw.indexOf('\n\n');
  return at === -1 ? '' : raw.slice(at + 2);
}

/** `git diff --name-only before commit` over trees only (no rename detection needs no blobs). */
async function changedPaths(url: string, dir: string, commit: string, before: string | undefined, timeoutMs: number): Promise<string[] | undefined> {
  if (!before || !SHA_RE.test(before) || ZERO_SHA.test(before)) return undefined;
  const fetched = await fetchRef(url, before, { cwd: dir, timeoutMs, depth: 1, filter: 'blob:none' });
  if (fetched.code !== 0) return undefined; // gone from the server: a force push
  const diff = await runGit(['-c', 'core.quotePath=false', 'diff', '--name-only', '--no-renames', '-z', before, commit, '--'], { cwd: dir, timeoutMs });
  if (diff.code !== 0) return undefined;
  return diff.stdout.split('\0').filter(Boolean);
}
