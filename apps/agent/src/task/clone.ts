import { createHash, randomUUID } from 'node:crypto';
import { copyFile, lstat, mkdir, readdir, rename, rm, stat, utimes } from 'node:fs/promises';
import { fetchRef, linkOrCopy, maskUrlCredentials, runGit, type GitResult } from '@archway/runtime';
import { join } from 'node:path';
import { finalFailure, retryableFailure, TaskCanceled } from './errors.ts';

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
  /** Told whether the commit came from the git cache (true) or had to be fetched (metrics). */
  onCache?: (hit: boolean) => void;
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
const CACHE_CONFIG = ['fetch.unpackLimit=1', 'transfer.unpackLimit=1', 'gc.auto=0'];
/** Repositories kept in the cache; the least recently used beyond this are removed. */
export const MAX_CACHED_REPOSITORIES = 64;

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
  const url = maskUrlCredentials(o.url);
  if (!COMMIT_RE.test(o.commit)) throw finalFailure(`invalid commit "${o.commit}": expected a full hex commit id`);
  if (o.url.startsWith('-')) throw finalFailure(`invalid repository URL "${url}"`);
  const entry = cacheEntry(o.cacheDir, o.url);
  await withEntryLock(entry, async () => {
    const git = gitRunner(o);
    const hit = await hasCommit(o.git, entry, o.commit);
    o.onCache?.(hit);
    if (hit) {
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
    const moved = await withEntryLock(path, () =>
      rename(path, trash).then(
        () => true,
        () => false,
      ),
    );
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

/**
 * git through the shared runner (@archway/runtime: environment, masking), stopped by the task's
 * signal (cancel, time limit) rather than a deadline of its own. Its masked output goes to the
 * task's log, and the last lines are kept for the failure's reason.
 */
interface Git {
  (args: string[], cwd: string): Promise<GitResult>;
  fetch(cwd: string, depth: number, what: string): Promise<GitResult>;
  lastError(): string;
  output(): string;
}

function gitRunner(o: CloneOptions): Git {
  const tail: string[] = [];
  const onLine = async (line: string) => {
    tail.push(line);
    if (tail.length > 20) tail.shift();
    await o.onLine(line);
  };
  const common = { git: o.git, signal: o.signal, onLine };
  const checked = (r: GitResult) => {
    if (r.aborted) throw new TaskCanceled();
    return r;
  };
  const run = async (args: string[], cwd: string) => {
    tail.length = 0;
    return checked(await runGit(['-c', 'protocol.ext.allow=never', '-c', 'advice.detachedHead=false', ...args], { ...common, cwd }));
  };
  return Object.assign(run, {
    fetch: async (cwd: string, depth: number, what: string) => {
      tail.length = 0;
      return checked(await fetchRef(o.url, what, { ...common, cwd, depth, config: CACHE_CONFIG }));
    },
    lastError: () => tail.filter((l) => /^(fatal|error):/.test(l)).at(-1) ?? tail.at(-1) ?? 'no output',
    output: () => tail.join('\n'),
  });
}

/** Quietly: "not a valid object" is the expected answer for a commit not fetched yet. */
async function hasCommit(gitBinary: string, entry: string, commit: string): Promise<boolean> {
  if (!(await exists(join(entry, 'HEAD')))) return false;
  return (await runGit(['cat-file', '-e', `${commit}^{commit}`], { git: gitBinary, cwd: entry })).code === 0;
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
  // By URL (fetchRef), never through a configured remote: a `COPY . .` would carry its token.
  const fetch = (depth: number, what: string) => git.fetch(entry, depth, what);

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
