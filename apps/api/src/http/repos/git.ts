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
}

const ZERO_SHA = /^0+$/;
const SHA_RE = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

/**
 * Reads one file and the message of a commit. Fetches just the commit, shallow and without blobs
 * where the server can filter, into a throwaway directory. Concurrent reads of one commit (a
 * webhook storm: many repositories or pushes at one commit) fetch it once. Arguments are passed
 * to git as a list, never through a shell.
 */
export function inspectCommit(url: string, commit: string, path: string, opts: { timeoutMs?: number | undefined } = {}): Promise<CommitFacts> {
  const timeoutMs = opts.timeoutMs ?? GIT_TIMEOUT_MS;
  const key = JSON.stringify(['inspect', url, commit, path]);
  return gitGate.run(hostOf(url), key, () => inScratchRepo(url, timeoutMs, (run) => readCommitFacts(run, url, commit, path, timeoutMs)));
}

/**
 * Paths changed between `before` and `commit` (`git diff --name-only` over trees: no blobs, no
 * rename detection); undefined when unknown: no `before` (a new branch), the all-zero id, or a
 * commit the server no longer has (a force push). Only asked for when `.archway.yaml` has path
 * filters, so most pushes never pay this second fetch.
 */
export function changedPaths(
  url: string,
  before: string | undefined,
  commit: string,
  opts: { timeoutMs?: number | undefined } = {},
): Promise<string[] | undefined> {
  if (!before || !SHA_RE.test(before) || ZERO_SHA.test(before) || !SHA_RE.test(commit)) return Promise.resolve(undefined);
  const timeoutMs = opts.timeoutMs ?? GIT_TIMEOUT_MS;
  const key = JSON.stringify(['changed', url, before, commit]);
  return gitGate.run(hostOf(url), key, () =>
    inScratchRepo(url, timeoutMs, async (run) => {
      // Both commits in one negotiation; a `before` gone from the server fails it: unknown.
      const fetched = await fetchRef(url, [before, commit], { cwd: run.dir, timeoutMs, depth: 1, filter: 'blob:none' });
      if (fetched.code !== 0) return undefined;
      const diff = await run(['-c', 'core.quotePath=false', 'diff', '--name-only', '--no-renames', '-z', before, commit, '--']);
      return diff.code === 0 ? diff.stdout.split('\0').filter(Boolean) : undefined;
    }),
  );
}

type ScratchGit = ((args: string[]) => ReturnType<typeof runGit>) & { dir: string };

/** Runs `fn` with git in a fresh empty repository that is removed afterwards, whatever happens. */
async function inScratchRepo<T>(url: string, timeoutMs: number, fn: (run: ScratchGit) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'archway-git-'));
  try {
    const run = Object.assign((args: string[]) => runGit(args, { cwd: dir, timeoutMs }), { dir });
    const init = await run(['init', '-q', '.']);
    if (init.code !== 0) throw gitFailure('git init for', url, init, timeoutMs);
    return await fn(run);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function readCommitFacts(run: ScratchGit, url: string, commit: string, path: string, timeoutMs: number): Promise<CommitFacts> {
  const fetched = await fetchRef(url, commit, { cwd: run.dir, timeoutMs, depth: 1, filter: 'blob:none' });
  if (fetched.code !== 0) throw gitFailure(`git fetch of ${commit} from`, url, fetched, timeoutMs);
  const shown = await run(['cat-file', 'commit', commit]);
  if (shown.code !== 0) throw gitFailure(`git cat-file commit ${commit} of`, url, shown, timeoutMs);
  const facts: CommitFacts = { message: messageOf(shown.stdout) };
  // The tree says whether the file is there (trees were fetched); only then is its blob fetched,
  // lazily, the one object of the commit's content the API ever reads.
  const listed = await run(['ls-tree', '-z', commit, '--', path]);
  if (listed.code !== 0) throw gitFailure(`git ls-tree ${path} of`, url, listed, timeoutMs);
  if (!/^\d+ blob /.test(listed.stdout)) return facts;
  const file = await run(['cat-file', 'blob', `${commit}:${path}`]);
  if (file.code !== 0) throw gitFailure(`git cat-file ${path} of`, url, file, timeoutMs);
  facts.file = file.stdout;
  return facts;
}

/** A raw commit object's message: everything after the first blank line. */
function messageOf(raw: string): string {
  const at = raw.indexOf('\n\n');
  return at === -1 ? '' : raw.slice(at + 2);
}
