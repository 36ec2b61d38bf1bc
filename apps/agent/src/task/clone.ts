import { createHash, randomUUID } from 'node:crypto';
import { copyFile, lstat, mkdir, readdir, rename, rm, stat, utimes } from 'node:fs/promises';
import { GIT_ALLOWED_PROTOCOLS, linkOrCopy } from '@archway/runtime';
import { join } from 'node:path';
import { finalFailure, retryableFailure, TaskCanceled } from './errors.ts';
import { runProcess, type ProcessResult } from './spawn.ts';

export interface CloneOptions {
  git: string;
  url: string;
  ref: string;
  commit: string;
  dir: string;
  /** The agent's git cache (`<data>/git`): one bare repository per URL. */
  cacheDir: string;
  /** The cache is pruned (least recently used first) to this many bytes; the entry just used stays. */
  cacheMaxBytes: number;
  signal: AbortSignal;
  onLine: (line: string) => Promise<void>;
}

const COMMIT_RE = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
/** What servers answer when the wanted object does not exist (or is not reachable). */
const NOT_FOUND_RE = /not our ref|couldn't find remote ref|unadvertised object|no such remote ref|bad object|not a valid object/i;
/** The ref fallback digs this deep for servers that refuse fetching by commit id. */
const FALLBACK_DEPTH = 50;
/**
 * A cache entry holding more packs (one per fetch) starts over: every pack is linked into each
 * checkout's `.git`, so this bounds what a `COPY . .` carries besides the commit itself.
 */
const MAX_CACHED_PACKS = 16;
/** Keep fetched objects packed (never loose) so a checkout links a few files, and never gc. */
const CACHE_CONFIG = ['-c', 'fetch.unpackLimit=1', '-c', 'transfer.unpackLimit=1', '-c', 'gc.auto=0'];
/** Repositories kept in the cache; the least recently used beyond this are removed. */
export const MAX_CACHED_REPOSITORIES = 64;

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
    // As in the API: a URL (or a submodule's) never makes git run a command (`ext::`).
    GIT_ALLOW_PROTOCOL: GIT_ALLOWED_PROTOCOLS,
    LC_ALL: 'C',
  };
}

/**
 * Keyed by the whole URL, credentials included: a commit fetched with one token is never handed
 * to a build whose URL carries another (or none).
 */
export function cacheEntry(cacheDir: string, url: string): string {
  return join(cacheDir, `${createHash('sha256').update(url).digest('hex').slice(0, 32)}.git`);
}

/** One fetch or checkout per cache entry at a time (git's own locks would fail the other). */
const entryLocks = new Map<string, Promise<unknown>>();
async function withEntryLock<T>(entry: string, fn: () => Promise<T>): Promise<T> {
  const before = entryLocks.get(entry) ?? Promise.resolve();
  const run = before.catch(() => {}).then(fn);
  entryLocks.set(entry, run);
  try {
    return await run;
  } finally {
    if (entryLocks.get(entry) === run) entryLocks.delete(entry);
  }
}

/**
 * Puts exactly one commit, checked out detached, into `dir`, with a `.git` of its own. The commit
 * comes from the agent's git cache when an earlier task fetched it (a rebuild, a tag pushed after
 * its branch, another image of the same commit); otherwise it is fetched shallow into the cache
 * first (`git fetch --depth 1 <url> <commit>`; servers that refuse fetching by id get a fetch of
 * the ref instead). A commit the remote does not have is a final failure; anything else (network,
 * auth hiccups, server errors) is retryable.
 */
export async function cloneCommit(o: CloneOptions): Promise<void> {
  const url = redactGitUrl(o.url);
  if (!COMMIT_RE.test(o.commit)) throw finalFailure(`invalid commit "${o.commit}": expected a full hex commit id`);
  if (o.url.startsWith('-')) throw finalFailure(`invalid repository URL "${url}"`);
  const entry = cacheEntry(o.cacheDir, o.url);
  await withEntryLock(entry, async () => {
    const git = gitRunner(o);
    if (await hasCommit(o.git, entry, o.commit)) {
      await o.onLine(`archway: ${o.commit} is in this agent's git cache (fetched earlier from ${url})`);
    } else {
      await fetchIntoCache(o, git, entry, url);
    }
    await checkoutFromCache(o, git, entry);
    const now = new Date();
    await utimes(entry, now, now); // "recently used", for pruneCache
  });
  // Off the build's path: measuring 64 entries takes ~100 ms, and the build needs none of it.
  pruning = pruning.then(() => pruneCache(o.cacheDir, { keep: MAX_CACHED_REPOSITORIES, maxBytes: o.cacheMaxBytes })).catch(() => {});
}

/** Background prunes, one at a time. */
let pruning: Promise<void> = Promise.resolve();

/**
 * Keeps the most recently used entries, at most `keep` of them and `maxBytes` together; the most
 * recent one stays whatever its size (a task just used it). Each is removed under its lock.
 */
export async function pruneCache(cacheDir: string, limits: { keep: number; maxBytes: number }): Promise<void> {
  const all = await readdir(cacheDir).catch(() => [] as string[]);
  // Left by a prune the agent's exit interrupted: never in use.
  for (const n of all.filter((n) => n.includes('.trash-'))) await rm(join(cacheDir, n), { recursive: true, force: true });
  const names = all.filter((n) => n.endsWith('.git'));
  const entries = await Promise.all(
    names.map(async (n) => {
      const path = join(cacheDir, n);
      return { path, used: (await stat(path).catch(() => null))?.mtimeMs ?? 0, bytes: await treeBytes(path) };
    }),
  );
  entries.sort((a, b) => b.used - a.used);
  let total = 0;
  for (const [i, { path, bytes }] of entries.entries()) {
    total += bytes;
    if (i === 0 || (i < limits.keep && total <= limits.maxBytes)) continue;
    // Renamed first (atomic), then removed: an interrupted removal never leaves half an entry.
    const trash = `${path}.trash-${randomUUID().slice(0, 8)}`;
    const moved = await withEntryLock(path, () => rename(path, trash).then(() => true, () => false));
    if (moved) await rm(trash, { recursive: true, force: true });
  }
}

/** Bytes of the files under `path` (a bare repository: packs, refs, a few small files). */
async function treeBytes(path: string): Promise<number> {
  const info = await lstat(path).catch(() => null);
  if (!info) return 0;
  if (!info.isDirectory()) return info.size;
  const names = await readdir(path).catch(() => [] as string[]);
  let sum = 0;
  for (const name of names) sum += await treeBytes(join(path, name));
  return sum;
}

type Git = ((args: string[], cwd: string) => Promise<ProcessResult>) & { lastError(): string; output(): string };

function gitRunner(o: CloneOptions): Git {
  const tail: string[] = [];
  const run = async (args: string[], cwd: string) => {
    tail.length = 0;
    const r = await runProcess(o.git, ['-c', 'protocol.ext.allow=never', '-c', 'advice.detachedHead=false', ...args], {
      cwd,
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
  return Object.assign(run, {
    lastError: () => tail.filter((l) => /^(fatal|error):/.test(l)).at(-1) ?? tail.at(-1) ?? 'no output',
    output: () => tail.join('\n'),
  });
}

/** Quietly: "not a valid object" is the expected answer for a commit not fetched yet. */
async function hasCommit(gitBinary: string, entry: string, commit: string): Promise<boolean> {
  if (!(await exists(join(entry, 'HEAD')))) return false;
  return (await runProcess(gitBinary, ['cat-file', '-e', `${commit}^{commit}`], { cwd: entry, env: gitEnv() })).code === 0;
}

async function fetchIntoCache(o: CloneOptions, git: Git, entry: string, url: string): Promise<void> {
  await o.onLine(`archway: fetching ${o.commit} from ${url}`);
  if ((await packCount(entry)) >= MAX_CACHED_PACKS) await rm(entry, { recursive: true, force: true });
  await mkdir(entry, { recursive: true });
  if (!(await exists(join(entry, 'HEAD')))) {
    const r = await git(['init', '-q', '--bare', '.'], entry);
    if (r.code !== 0) throw retryableFailure(`git init failed: ${git.lastError()}`);
  }
  // A fetch killed mid-way (cancel, agent crash) leaves its lock behind; this agent owns the entry.
  await rm(join(entry, 'shallow.lock'), { force: true });
  const fetch = (depth: number, what: string) => git([...CACHE_CONFIG, 'fetch', '-q', '--depth', String(depth), '--no-tags', '--', o.url, what], entry);

  // Fetch by URL rather than through a configured remote: the URL (and any token in it) is never
  // written into a config, which a `COPY . .` would carry into the image.
  let r = await fetch(1, o.commit);
  if (r.code !== 0) {
    if (!NOT_FOUND_RE.test(git.output())) {
      // The entry may be what is broken: the retry starts from an empty one.
      await rm(entry, { recursive: true, force: true });
      throw retryableFailure(`git fetch from ${url} failed: ${git.lastError()}`);
    }
    // Some servers refuse fetching by id; the commit may still be near the tip of the ref.
    await o.onLine(`archway: fetching by id refused or unknown; trying ${o.ref} (depth ${FALLBACK_DEPTH})`);
    r = await fetch(FALLBACK_DEPTH, o.ref);
    if (r.code !== 0 && !NOT_FOUND_RE.test(git.output())) throw retryableFailure(`git fetch from ${url} failed: ${git.lastError()}`);
    if (!(await hasCommit(o.git, entry, o.commit))) throw finalFailure(`commit ${o.commit} not found in ${url}`);
  }
  await rm(join(entry, 'FETCH_HEAD'), { force: true }); // it names the URL
}

/**
 * `git init` in the work dir, the cache's packs hard-linked in (copied across filesystems) with
 * its shallow boundary, then a detached checkout: no network, no repacking, and a `.git` that
 * works on its own inside the build.
 */
async function checkoutFromCache(o: CloneOptions, git: Git, entry: string): Promise<void> {
  await mkdir(o.dir, { recursive: true });
  let r = await git(['init', '-q', '.'], o.dir);
  if (r.code !== 0) throw retryableFailure(`git init failed: ${git.lastError()}`);
  const packDir = join(entry, 'objects', 'pack');
  for (const name of await readdir(packDir)) {
    if (!/\.(pack|idx|rev)$/.test(name)) continue;
    await linkOrCopy(join(packDir, name), join(o.dir, '.git', 'objects', 'pack', name));
  }
  if (await exists(join(entry, 'shallow'))) await copyFile(join(entry, 'shallow'), join(o.dir, '.git', 'shallow'));
  r = await git(['checkout', '-q', '--detach', o.commit], o.dir);
  if (r.code !== 0) {
    await rm(entry, { recursive: true, force: true });
    throw retryableFailure(`git checkout ${o.commit} failed: ${git.lastError()}`);
  }
}

async function packCount(entry: string): Promise<number> {
  const names = await readdir(join(entry, 'objects', 'pack')).catch(() => [] as string[]);
  return names.filter((n) => n.endsWith('.pack')).length;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
