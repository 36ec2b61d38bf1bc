import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { finalFailure, retryableFailure, TaskCanceled } from './errors.ts';
import { runProcess, type ProcessResult } from './spawn.ts';

export interface CloneOptions {
  git: string;
  url: string;
  ref: string;
  commit: string;
  dir: string;
  signal: AbortSignal;
  onLine: (line: string) => Promise<void>;
}

const COMMIT_RE = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
/** What servers answer when the wanted object does not exist (or is not reachable). */
const NOT_FOUND_RE = /not our ref|couldn't find remote ref|unadvertised object|no such remote ref|bad object|not a valid object/i;
/** The ref fallback digs this deep for servers that refuse fetching by commit id. */
const FALLBACK_DEPTH = 50;

/** `https://user:token@host/x` → `https://***@host/x`: URLs go into logs and reasons. */
export function redactGitUrl(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^@/\s]+@/gi, '$1***@');
}

function gitEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    // Never wait for a password on a terminal or an ssh host-key prompt: fail instead.
    GIT_TERMINAL_PROMPT: '0',
    GIT_SSH_COMMAND: process.env.GIT_SSH_COMMAND ?? 'ssh -o BatchMode=yes',
    LC_ALL: 'C',
  };
}

/**
 * Fetches exactly one commit (shallow) into `dir` and checks it out detached (`git fetch --depth 1
 * <url> <commit>`; servers that refuse fetching by id get a fetch of the ref instead).
 * A commit the remote does not have is a final failure; anything else (network, auth hiccups,
 * server errors) is retryable.
 */
export async function cloneCommit(o: CloneOptions): Promise<void> {
  const url = redactGitUrl(o.url);
  if (!COMMIT_RE.test(o.commit)) throw finalFailure(`invalid commit "${o.commit}": expected a full hex commit id`);
  if (o.url.startsWith('-')) throw finalFailure(`invalid repository URL "${url}"`);
  await mkdir(o.dir, { recursive: true });

  const tail: string[] = [];
  const git = async (args: string[]): Promise<ProcessResult> => {
    tail.length = 0;
    const r = await runProcess(o.git, ['-c', 'protocol.ext.allow=never', '-c', 'advice.detachedHead=false', ...args], {
      cwd: o.dir,
      env: gitEnv(),
      signal: o.signal,
      onLine: async (line) => {
        const safe = redactGitUrl(line);
        tail.push(safe);
        if (tail.length > 20) tail.shift();
        await o.onLine(safe);
      },
    });
    if (r.aborted) throw new TaskCanceled();
    return r;
  };
  const lastError = () => tail.filter((l) => /^(fatal|error):/.test(l)).at(-1) ?? tail.at(-1) ?? 'no output';

  await o.onLine(`archway: fetching ${o.commit} from ${url}`);
  let r = await git(['init', '-q', '.']);
  if (r.code !== 0) throw retryableFailure(`git init failed: ${lastError()}`);

  // Fetch by URL rather than through a configured remote: the URL (and any token in it) is never
  // written into .git/config, which a `COPY . .` would carry into the image.
  r = await git(['fetch', '--depth', '1', '--no-tags', '--', o.url, o.commit]);
  if (r.code !== 0) {
    if (!NOT_FOUND_RE.test(tail.join('\n'))) throw retryableFailure(`git fetch from ${url} failed: ${lastError()}`);
    // Some servers refuse fetching by id; the commit may still be near the tip of the ref.
    await o.onLine(`archway: fetching by id refused or unknown; trying ${o.ref} (depth ${FALLBACK_DEPTH})`);
    r = await git(['fetch', '--depth', String(FALLBACK_DEPTH), '--no-tags', '--', o.url, o.ref]);
    if (r.code !== 0 && !NOT_FOUND_RE.test(tail.join('\n'))) throw retryableFailure(`git fetch from ${url} failed: ${lastError()}`);
    const has = await git(['cat-file', '-e', `${o.commit}^{commit}`]);
    if (has.code !== 0) throw finalFailure(`commit ${o.commit} not found in ${url}`);
  }
  r = await git(['checkout', '-q', '--detach', o.commit]);
  if (r.code !== 0) throw retryableFailure(`git checkout ${o.commit} failed: ${lastError()}`);
  await rm(join(o.dir, '.git', 'FETCH_HEAD'), { force: true }); // it names the URL

}
