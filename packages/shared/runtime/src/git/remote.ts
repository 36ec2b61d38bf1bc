import { maskUrlCredentials } from '../redact-url.ts';
import { gitMessage, runGit, type GitResult, type GitRunOptions } from './run.ts';

/** A git call that failed; the message names the URL and git's own words, credentials masked. */
export class GitError extends Error {
  constructor(
    message: string,
    readonly result: GitResult,
  ) {
    super(maskUrlCredentials(message));
  }
  get timedOut(): boolean {
    return this.result.timedOut;
  }
}

/** `<what> <url> failed: <git's message>` (or `did not answer within <n> s`), masked. */
export function gitFailure(what: string, url: string, r: GitResult, timeoutMs?: number): GitError {
  const shown = maskUrlCredentials(url);
  if (r.timedOut) return new GitError(`${what} ${shown} did not answer within ${(timeoutMs ?? 0) / 1000} s`, r);
  return new GitError(`${what} ${shown} failed: ${gitMessage(r) || `git exited with ${r.code}`}`, r);
}

/**
 * `git ls-remote` of the given patterns (all refs when none): ref name → commit. An annotated tag's
 * commit is only listed when its peeled name (`^{}`) is asked for too, so that is added, and the
 * peeled line wins over the tag object. Throws GitError.
 */
export async function lsRemote(url: string, patterns: string[] = [], opts: GitRunOptions = {}): Promise<Map<string, string>> {
  if (url.startsWith('-')) throw new GitError(`invalid repository URL "${url}"`, { code: 1, stdout: '', stderr: '', timedOut: false, aborted: false });
  const peeled = patterns.filter((p) => p.startsWith('refs/tags/') && !p.includes('*') && !p.endsWith('^{}')).map((p) => `${p}^{}`);
  const r = await runGit(['ls-remote', '--', url, ...patterns, ...peeled], opts);
  if (r.code !== 0) throw gitFailure('git ls-remote', url, r, opts.timeoutMs);
  const refs = new Map<string, string>();
  for (const line of r.stdout.split('\n')) {
    const [sha, name] = line.split('\t');
    if (!sha || !name) continue;
    if (name.endsWith('^{}')) refs.set(name.slice(0, -3), sha);
    else if (!refs.has(name)) refs.set(name, sha);
  }
  return refs;
}

export interface FetchOptions extends GitRunOptions {
  /** The repository to fetch into. */
  cwd: string;
  depth: number;
  /** `-c key=value` settings for this fetch only. */
  config?: string[];
  /** e.g. `blob:none`: leave blobs on the server where it can filter. */
  filter?: string;
}

/**
 * `git fetch` of one commit or ref (or several in one negotiation), by URL: the URL (and any token in it) is never written into a
 * repository's config, which a `COPY . .` would carry into an image. Shallow, no tags, and never
 * the `ext::` transport. Returns the result; the caller decides what a failure means.
 */
export function fetchRef(url: string, what: string | readonly string[], opts: FetchOptions): Promise<GitResult> {
  const config = ['protocol.ext.allow=never', ...(opts.config ?? [])].flatMap((c) => ['-c', c]);
  const filter = opts.filter ? [`--filter=${opts.filter}`] : [];
  return runGit(
    [...config, 'fetch', '-q', '--depth', String(opts.depth), '--no-tags', ...filter, '--', url, ...(typeof what === 'string' ? [what] : what)],
    opts,
  );
}
