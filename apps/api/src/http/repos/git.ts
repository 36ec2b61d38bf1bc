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

/**
 * The text of one file at a commit, or undefined when the commit has no such file. Fetches just
 * that commit (shallow, and without blobs where the server can filter) into a throwaway directory.
 */
export function readFileAtCommit(url: string, commit: string, path: string, timeoutMs = GIT_TIMEOUT_MS): Promise<string | undefined> {
  // Concurrent reads of one commit (a webhook storm) fetch it once.
  return gitGate.run(hostOf(url), JSON.stringify(['read', url, commit, path]), () => fetchFileAtCommit(url, commit, path, timeoutMs));
}

async function fetchFileAtCommit(url: string, commit: string, path: string, timeoutMs: number): Promise<string | undefined> {
  const dir = await mkdtemp(join(tmpdir(), 'archway-git-'));
  try {
    const opts = { cwd: dir, timeoutMs };
    const init = await runGit(['init', '-q', '.'], opts);
    if (init.code !== 0) throw gitFailure('git init for', url, init, timeoutMs);
    const fetched = await fetchRef(url, commit, { ...opts, depth: 1, filter: 'blob:none' });
    if (fetched.code !== 0) throw gitFailure(`git fetch of ${commit} from`, url, fetched, timeoutMs);
    const exists = await runGit(['cat-file', '-e', `${commit}:${path}`], opts);
    if (exists.code !== 0) return undefined;
    const shown = await runGit(['cat-file', 'blob', `${commit}:${path}`], opts);
    if (shown.code !== 0) throw gitFailure(`git cat-file ${path} of`, url, shown, timeoutMs);
    return shown.stdout;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
