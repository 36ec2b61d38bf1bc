import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { makeRepo } from '../../test/support.ts';
import { cacheEntry, cloneCommit, pruneCache } from './clone.ts';
import { TaskFailure } from './errors.ts';

async function clone(url: string, commit: string, ref = 'main', cacheDir?: string) {
  const root = await mkdtemp(join(inject('tmpRoot'), 'clone-'));
  const dir = join(root, 'src');
  const cache = cacheDir ?? join(root, 'git');
  const lines: string[] = [];
  const err = await cloneCommit({
    git: 'git',
    url,
    ref,
    commit,
    dir,
    cacheDir: cache,
    cacheMaxBytes: 1e9,
    signal: new AbortController().signal,
    onLine: async (l) => void lines.push(l),
  }).then(
    () => undefined,
    (e: unknown) => e,
  );
  return { dir, cache, lines, err: err as TaskFailure | undefined };
}

const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();

describe('cloneCommit', () => {
  it('checks out exactly the commit, shallow, without writing the URL into .git', async () => {
    const repo = await makeRepo({ 'a.txt': 'first' });
    const { dir, err } = await clone(repo.url, repo.commit);
    expect(err).toBeUndefined();
    expect(readFileSync(join(dir, 'a.txt'), 'utf8')).toBe('first');
    expect(execFileSync('git', ['rev-parse', 'HEAD'], { cwd: dir, encoding: 'utf8' }).trim()).toBe(repo.commit);
    expect(existsSync(join(dir, '.git', 'shallow'))).toBe(true);
    expect(readFileSync(join(dir, '.git', 'config'), 'utf8')).not.toContain(repo.dir);
    expect(existsSync(join(dir, '.git', 'FETCH_HEAD'))).toBe(false);
  });

  it('takes a commit fetched earlier from the git cache, without the remote, into a .git that stands alone', async () => {
    const repo = await makeRepo({ 'a.txt': 'cached' });
    const first = await clone(repo.url, repo.commit);
    expect(first.err).toBeUndefined();
    expect(first.lines.some((l) => l.startsWith('archway: fetching '))).toBe(true);
    // The remote is gone: only the cache can supply the commit now.
    await rm(repo.dir, { recursive: true, force: true });
    const second = await clone(repo.url, repo.commit, 'main', first.cache);
    expect(second.err).toBeUndefined();
    expect(second.lines).toContain(`archway: ${repo.commit} is in this agent's git cache (fetched earlier from ${repo.url})`);
    expect(readFileSync(join(second.dir, 'a.txt'), 'utf8')).toBe('cached');
    // The checkout's .git does not lean on the cache (a COPY . . takes it into the image).
    await rm(first.cache, { recursive: true, force: true });
    expect(git(second.dir, 'rev-parse', 'HEAD')).toBe(repo.commit);
    expect(git(second.dir, 'show', 'HEAD:a.txt')).toBe('cached');
    expect(git(second.dir, 'status', '--porcelain')).toBe('');
    expect(existsSync(join(second.dir, '.git', 'objects', 'info', 'alternates'))).toBe(false);
  });

  it('keeps URLs with other credentials apart and recovers from a fetch killed mid-way', async () => {
    const cacheDir = join(await mkdtemp(join(inject('tmpRoot'), 'cache-')), 'git');
    expect(cacheEntry(cacheDir, 'https://a:one@host/x.git')).not.toBe(cacheEntry(cacheDir, 'https://host/x.git'));
    const repo = await makeRepo({ 'a.txt': 'v1' });
    expect((await clone(repo.url, repo.commit, 'main', cacheDir)).err).toBeUndefined();
    // A new commit while a killed fetch left git's lock behind.
    writeFileSync(join(repo.dir, 'a.txt'), 'v2');
    git(repo.dir, '-c', 'user.email=t@e', '-c', 'user.name=t', 'commit', '-qam', 'v2');
    const next = git(repo.dir, 'rev-parse', 'HEAD');
    writeFileSync(join(cacheEntry(cacheDir, repo.url), 'shallow.lock'), '');
    const r = await clone(repo.url, next, 'main', cacheDir);
    expect(r.err).toBeUndefined();
    expect(readFileSync(join(r.dir, 'a.txt'), 'utf8')).toBe('v2');
    expect(readdirSync(join(cacheEntry(cacheDir, repo.url), 'objects', 'pack')).filter((n) => n.endsWith('.pack'))).toHaveLength(2);
  });

  it('keeps the most recently used repositories when pruning', async () => {
    const cacheDir = join(await mkdtemp(join(inject('tmpRoot'), 'cache-')), 'git');
    const repos = [await makeRepo({ 'a.txt': '1' }), await makeRepo({ 'a.txt': '2' }), await makeRepo({ 'a.txt': '3' })];
    for (const r of repos) expect((await clone(r.url, r.commit, 'main', cacheDir)).err).toBeUndefined();
    // The first one used again: now the second is the least recently used.
    expect((await clone(repos[0]!.url, repos[0]!.commit, 'main', cacheDir)).err).toBeUndefined();
    await pruneCache(cacheDir, { keep: 2, maxBytes: 1e9 });
    expect(existsSync(cacheEntry(cacheDir, repos[0]!.url))).toBe(true);
    expect(existsSync(cacheEntry(cacheDir, repos[1]!.url))).toBe(false);
    expect(existsSync(cacheEntry(cacheDir, repos[2]!.url))).toBe(true);
  });

  it('keeps the cache under its size, least recently used out first, the one just used always in', async () => {
    const cacheDir = join(await mkdtemp(join(inject('tmpRoot'), 'cache-')), 'git');
    // 600 kB of base64 of random bytes each: git packs it to ≈ 450 kB (6 bits a character), plus
    // ≈ 70 kB of repository files (hook samples): each entry holds ≈ 520 kB.
    const repos: Awaited<ReturnType<typeof makeRepo>>[] = [];
    for (let i = 0; i < 3; i++) repos.push(await makeRepo({ 'blob.txt': randomBytes(450_000).toString('base64') }));
    for (const r of repos) expect((await clone(r.url, r.commit, 'main', cacheDir)).err).toBeUndefined();
    const present = () => repos.map((r) => existsSync(cacheEntry(cacheDir, r.url)));
    expect(present()).toEqual([true, true, true]);
    // Room for two entries: the oldest goes.
    await pruneCache(cacheDir, { keep: 64, maxBytes: 1_150_000 });
    expect(present()).toEqual([false, true, true]);
    // Room for none: the most recent one stays anyway; what an interrupted prune left goes.
    const leftover = join(cacheDir, 'x.git.trash-0000');
    mkdirSync(join(leftover, 'objects'), { recursive: true });
    await pruneCache(cacheDir, { keep: 64, maxBytes: 1 });
    expect(present()).toEqual([false, false, true]);
    expect(existsSync(leftover)).toBe(false);
    expect(readdirSync(cacheDir).filter((n) => n.includes('.trash-'))).toEqual([]);
  });

  it('reports a missing commit as final', async () => {
    const repo = await makeRepo({ 'a.txt': 'x' });
    const missing = 'f'.repeat(40);
    const { err } = await clone(repo.url, missing);
    expect(err).toBeInstanceOf(TaskFailure);
    expect(err).toMatchObject({ retryable: false, message: `commit ${missing} not found in ${repo.url}` });
  });

  it('reports an unreachable server as retryable', async () => {
    const { err } = await clone('http://127.0.0.1:9/repo.git', 'a'.repeat(40));
    expect(err).toMatchObject({ retryable: true });
    expect(err?.message).toMatch(/^git fetch from http:\/\/127\.0\.0\.1:9\/repo\.git failed: /);
  });

  it('rejects abbreviated commits and option-like URLs before running git', async () => {
    expect((await clone('file:///nowhere', 'abc1234')).err).toMatchObject({
      retryable: false,
      message: 'invalid commit "abc1234": expected a full hex commit id',
    });
    expect((await clone('--upload-pack=touch /tmp/x', 'a'.repeat(40))).err).toMatchObject({ retryable: false });
  });
});
