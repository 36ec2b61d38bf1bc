import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { makeRepo } from '../../test/support.ts';
import { cloneCommit, redactGitUrl } from './clone.ts';
import { TaskFailure } from './errors.ts';

async function clone(url: string, commit: string, ref = 'main') {
  const dir = join(await mkdtemp(join(inject('tmpRoot'), 'clone-')), 'src');
  const lines: string[] = [];
  const err = await cloneCommit({ git: 'git', url, ref, commit, dir, signal: new AbortController().signal, onLine: async (l) => void lines.push(l) }).then(
    () => undefined,
    (e: unknown) => e,
  );
  return { dir, lines, err: err as TaskFailure | undefined };
}

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
    expect((await clone('file:///nowhere', 'abc1234')).err).toMatchObject({ retryable: false, message: 'invalid commit "abc1234": expected a full hex commit id' });
    expect((await clone('--upload-pack=touch /tmp/x', 'a'.repeat(40))).err).toMatchObject({ retryable: false });
  });
});

describe('redactGitUrl', () => {
  it('masks credentials in URLs inside text', () => {
    expect(redactGitUrl("fatal: unable to access 'https://bob:ghp_secret@git.example.com/x.git/'")).toBe(
      "fatal: unable to access 'https://***@git.example.com/x.git/'",
    );
    expect(redactGitUrl('ssh://git@host/repo')).toBe('ssh://***@host/repo');
    expect(redactGitUrl('file:///tmp/repo')).toBe('file:///tmp/repo');
  });
});
