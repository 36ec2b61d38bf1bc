import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitError, lsRemote } from './remote.ts';
import { runGit } from './run.ts';

let dir: string;
let repo: string;
/** A TCP server that accepts and never answers: git over http waits on it forever. */
let silent: Server;
let silentPort: number;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'archway-git-run-'));
  repo = join(dir, 'repo');
  const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd: repo });
  execFileSync('git', ['init', '-q', '-b', 'main', repo]);
  await writeFile(join(repo, 'f'), 'x');
  git('add', '.');
  git('commit', '-qm', 'one');
  git('tag', '-a', 'v1', '-m', 'v1');
  silent = createServer(() => {}).listen(0, '127.0.0.1');
  await new Promise((r) => silent.once('listening', r));
  silentPort = (silent.address() as { port: number }).port;
});
afterAll(async () => {
  silent?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('runGit and lsRemote', () => {
  it('lists refs, with an annotated tag peeled to its commit', async () => {
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: repo }).toString().trim();
    const tagObject = execFileSync('git', ['rev-parse', 'v1'], { cwd: repo }).toString().trim();
    expect(tagObject).not.toBe(head);
    const refs = await lsRemote(`file://${repo}`, ['refs/heads/main', 'refs/tags/v1']);
    expect(refs.get('refs/heads/main')).toBe(head);
    expect(refs.get('refs/tags/v1')).toBe(head);
  });

  it('stops at the deadline and says so, with the credentials masked', async () => {
    const err = await lsRemote(`http://user:hunter2@127.0.0.1:${silentPort}/x.git`, [], { timeoutMs: 500 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GitError);
    expect((err as GitError).timedOut).toBe(true);
    expect((err as GitError).message).toBe(`git ls-remote http://***@127.0.0.1:${silentPort}/x.git did not answer within 0.5 s`);
  });

  it('stops when aborted', async () => {
    const controller = new AbortController();
    const running = runGit(['ls-remote', '--', `http://127.0.0.1:${silentPort}/x.git`], { signal: controller.signal });
    setTimeout(() => controller.abort(), 200);
    expect(await running).toMatchObject({ aborted: true, code: null });
  });

  it('masks credentials in what git says, and never runs a shell', async () => {
    const marker = join(dir, 'touched');
    const r = await runGit(['ls-remote', '--', `file:///nowhere/$(touch ${marker})`], { timeoutMs: 10_000 });
    expect(r.code).not.toBe(0);
    expect(existsSync(marker)).toBe(false);
    // git echoes an invalid config key back as given: the runner masks it in stderr and in the lines.
    const lines: string[] = [];
    const failed = await runGit(['config', '--get', 'http://bob:s3cret@git.example/y.git'], {
      cwd: repo,
      onLine: (l) => void lines.push(l),
      timeoutMs: 10_000,
    });
    expect(failed.code).not.toBe(0);
    expect(lines.join('\n')).toContain('http://***@git.example/y.git');
    expect(failed.stderr).toContain('http://***@git.example/y.git');
    expect(failed.stderr + lines.join('\n')).not.toContain('s3cret');
  });

  it('ignores the global git configuration (no url.insteadOf surprises)', async () => {
    const home = join(dir, 'home');
    await mkdir(home, { recursive: true });
    await writeFile(join(home, '.gitconfig'), `[url "file://${repo}"]\n\tinsteadOf = https://rewritten.invalid/\n`);
    // The same config is honoured by a plain git: the test would notice if it were not.
    const plain = execFileSync('git', ['ls-remote', 'https://rewritten.invalid/'], { env: { ...process.env, HOME: home } }).toString();
    expect(plain).toContain('refs/heads/main');
    const before = process.env.HOME;
    process.env.HOME = home;
    try {
      const r = await runGit(['ls-remote', '--', 'https://rewritten.invalid/'], { timeoutMs: 10_000 });
      expect(r.code).not.toBe(0);
    } finally {
      process.env.HOME = before;
    }
  });
});
