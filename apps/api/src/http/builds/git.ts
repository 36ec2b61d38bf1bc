import { GIT_TIMEOUT_MS, GitError, gitMessage, lsRemote, maskUrlCredentials } from '@archway/runtime';
import { BadRequestError, UnprocessableError } from '../../infra/errors.ts';
import { gitGate } from '../../infra/git-gate.ts';
import { sourceHost } from './source-address.ts';

const SCP_LIKE = /^[A-Za-z0-9._~-]+@[A-Za-z0-9.-]+:(?!\/\/)/;

/**
 * Accepts http(s)://, ssh://, git://, file:// and scp-like `user@host:path` (ssh) URLs.
 * Anything starting with `-` could be read by git as an option, so it is refused outright.
 */
export function checkSourceUrl(url: string): void {
  if (url.startsWith('-')) throw new BadRequestError('source.url must not start with "-"', 'source.url');
  if (/[\0\r\n]/.test(url)) throw new BadRequestError('source.url must not contain control characters', 'source.url');
  if (SCP_LIKE.test(url)) return;
  let scheme: string;
  try {
    scheme = new URL(url).protocol;
  } catch {
    throw new BadRequestError(`source.url "${maskUrlCredentials(url)}" is not a URL: use https://, ssh://, git://, file:// or user@host:path`, 'source.url');
  }
  if (!['http:', 'https:', 'ssh:', 'git:', 'file:'].includes(scheme)) {
    throw new BadRequestError(`source.url uses "${scheme}": only https://, http://, ssh://, git:// and file:// are supported`, 'source.url');
  }
}

/** The refs to ask for, in order of preference, for what a user calls a ref (lsRemote peels tags). */
function candidates(ref: string): string[] {
  if (ref === 'HEAD' || ref.startsWith('refs/')) return [ref];
  return [`refs/heads/${ref}`, `refs/tags/${ref}`];
}

/**
 * Resolves a branch, tag or full ref of a remote repository to a commit id with `git ls-remote`
 * (the shared runner: environment, timeout and masking of @archway/runtime). Throws a 422 naming
 * `source.ref` (or `source.url` when the repository cannot be read) with git's own message.
 */
export async function resolveRef(url: string, ref: string, timeoutMs = GIT_TIMEOUT_MS): Promise<string> {
  const wanted = candidates(ref);
  let found: Map<string, string>;
  try {
    // Builds of one ref accepted together ask git once; a host gets a bounded number of calls.
    found = await gitGate.run(hostOf(url), JSON.stringify(['ls-remote', url, wanted]), () => lsRemote(url, wanted, { timeoutMs }));
  } catch (err) {
    if (!(err instanceof GitError)) throw err;
    if (err.timedOut) throw new UnprocessableError(err.message, 'source.url');
    const msg = gitMessage(err.result) || `git ls-remote exited with ${err.result.code}`;
    throw new UnprocessableError(`cannot read the repository ${maskUrlCredentials(url)}: ${msg}`, 'source.url');
  }
  for (const name of wanted) {
    const sha = found.get(name);
    if (sha) return sha;
  }
  // A full commit id given as ref: take it as is (git cannot list commits, only refs).
  if (/^[0-9a-f]{40}$/.test(ref)) return ref;
  throw new UnprocessableError(`cannot resolve ref "${ref}" of ${maskUrlCredentials(url)}: git ls-remote found no branch or tag of that name`, 'source.ref');
}

/** The git host a call counts against (file:// repositories share one). */
export function hostOf(url: string): string {
  try {
    return sourceHost(url) ?? 'file';
  } catch {
    return 'other';
  }
}
