import { execFile } from 'node:child_process';
import { BadRequestError, UnprocessableError } from '../../infra/errors.ts';
import { GIT_ALLOWED_PROTOCOLS, redactUrl } from '@archway/runtime';

export const GIT_TIMEOUT_MS = 20_000;
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
    throw new BadRequestError(`source.url "${redactUrl(url)}" is not a URL: use https://, ssh://, git://, file:// or user@host:path`, 'source.url');
  }
  if (!['http:', 'https:', 'ssh:', 'git:', 'file:'].includes(scheme)) {
    throw new BadRequestError(`source.url uses "${scheme}": only https://, http://, ssh://, git:// and file:// are supported`, 'source.url');
  }
}

/** The refs to ask for, in order of preference, for what a user calls a ref. */
function candidates(ref: string): string[] {
  // An annotated tag's `^{}` line names its commit; the plain line names the tag object.
  if (ref.startsWith('refs/tags/')) return [`${ref}^{}`, ref];
  if (ref === 'HEAD' || ref.startsWith('refs/')) return [ref];
  return [`refs/heads/${ref}`, `refs/tags/${ref}^{}`, `refs/tags/${ref}`];
}

function gitEnv(): NodeJS.ProcessEnv {
  const { GIT_ASKPASS: _a, SSH_ASKPASS: _s, ...env } = process.env;
  return {
    ...env,
    // Never wait for a person: a private repository fails at once with git's own message.
    GIT_TERMINAL_PROMPT: '0',
    GIT_SSH_COMMAND: process.env.GIT_SSH_COMMAND ?? 'ssh -o BatchMode=yes',
    GIT_ALLOW_PROTOCOL: GIT_ALLOWED_PROTOCOLS,
    LC_ALL: 'C',
  };
}

/**
 * Resolves a branch, tag or full ref of a remote repository to a commit id with `git ls-remote`.
 * Throws a 422 naming `source.ref` (or `source.url` when the repository cannot be read) with git's
 * own message.
 */
export async function resolveRef(url: string, ref: string, timeoutMs = GIT_TIMEOUT_MS): Promise<string> {
  const wanted = candidates(ref);
  const { code, stdout, stderr, timedOut } = await run(['ls-remote', '--', url, ...wanted], timeoutMs);
  if (timedOut) {
    throw new UnprocessableError(`git ls-remote ${redactUrl(url)} did not answer within ${timeoutMs / 1000} s`, 'source.url');
  }
  if (code !== 0) {
    const msg = gitMessage(stderr, url) || `git ls-remote exited with ${code}`;
    throw new UnprocessableError(`cannot read the repository ${redactUrl(url)}: ${msg}`, 'source.url');
  }
  const found = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const [sha, name] = line.split('\t');
    if (sha && name) found.set(name, sha);
  }
  for (const name of wanted) {
    const sha = found.get(name);
    if (sha) return sha;
  }
  // A full commit id given as ref: take it as is (git cannot list commits, only refs).
  if (/^[0-9a-f]{40}$/.test(ref)) return ref;
  throw new UnprocessableError(`cannot resolve ref "${ref}" of ${redactUrl(url)}: git ls-remote found no branch or tag of that name`, 'source.ref');
}

/** git's stderr, trimmed to the lines that matter, with any credentials in the URL hidden. */
function gitMessage(stderr: string, url: string): string {
  const redacted = redactUrl(url);
  return stderr
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .slice(0, 4)
    .join(' ')
    .split(url)
    .join(redacted)
    .replace(/\/\/[^/@\s]+:[^/@\s]+@/g, '//***@')
    .slice(0, 500);
}

function run(args: string[], timeoutMs: number): Promise<{ code: number; stdout: string; stderr: string; timedOut: boolean }> {
  return new Promise((resolve) => {
    execFile('git', args, { env: gitEnv(), timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const e = err as (NodeJS.ErrnoException & { killed?: boolean; code?: number | string }) | null;
      if (e && e.code === 'ENOENT') {
        resolve({ code: 127, stdout: '', stderr: 'git is not installed on the API server', timedOut: false });
        return;
      }
      resolve({ code: e ? (typeof e.code === 'number' ? e.code : 1) : 0, stdout, stderr, timedOut: Boolean(e?.killed) });
    });
  });
}
