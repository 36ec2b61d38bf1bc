import type { Repo as RepoRow } from '../../generated/prisma/client.ts';
import { UnprocessableError } from '../../infra/errors.ts';
import { GitError, lsRemote } from './git.ts';
import type { RepoTrigger } from '../../rules/build-plan/index.ts';

/** A pull request's head (GitHub, Forgejo) or a GitLab merge request's. */
const PULL_RE = /^refs\/(?:pull|merge-requests)\/(\d+)\/head$/;

/** Whether a ref names a pull request's head (such builds never push). */
export const isPullRef = (ref: string): boolean => PULL_RE.test(ref);

/**
 * What a user's ref means in a registered repository (POST /repos/:id/builds): a branch, a tag
 * or `refs/pull/<n>/head` (`refs/merge-requests/<n>/head`), and its commit (unless one is given).
 */
export async function resolveRepoTrigger(repo: RepoRow, ref: string | undefined, commit: string | undefined, timeoutMs?: number): Promise<RepoTrigger> {
  const wanted = ref ?? repo.defaultBranch;
  const pull = PULL_RE.exec(wanted);
  const candidates = pull ? [wanted] : wanted.startsWith('refs/') ? [wanted] : [`refs/heads/${wanted}`, `refs/tags/${wanted}`];
  let refs: Map<string, string>;
  try {
    refs = await lsRemote(repo.cloneUrl, candidates, timeoutMs);
  } catch (err) {
    if (err instanceof GitError) throw new UnprocessableError(`cannot read ${repo.fullName}: ${err.message}`, 'ref');
    throw err;
  }
  for (const name of candidates) {
    const head = refs.get(name);
    if (!head) continue;
    // The ref's rules (tags such as latest, build secrets) apply to what the ref points at; another
    // commit labelled with it could be a fork's pull request built with the repository's secrets.
    if (commit && commit.toLowerCase() !== head) {
      throw new UnprocessableError(
        `commit ${commit} is not the head of ${name} (${head}): leave "commit" out to build the head, or build that commit with POST /api/v1/builds`,
        'commit',
      );
    }
    if (pull) return { kind: 'pr', number: Number(pull[1]), commit: head };
    if (name.startsWith('refs/heads/')) return { kind: 'branch', branch: name.slice('refs/heads/'.length), commit: head };
    if (name.startsWith('refs/tags/')) return { kind: 'tag', tag: name.slice('refs/tags/'.length), commit: head };
  }
  throw new UnprocessableError(`${repo.fullName} has no branch or tag "${wanted}" (git ls-remote ${candidates.join(' ')} found nothing)`, 'ref');
}
