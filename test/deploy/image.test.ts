import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readlink, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { pushDebianBase } from '../harness/debian-base.ts';

const run = promisify(execFile);
const root = new URL('../../', import.meta.url).pathname;
const big = { maxBuffer: 256 * 1024 * 1024 };

// deploy/Containerfile built for real with buildah, from a Debian base this test makes (no registry
// on the internet is reachable: debootstrap'd bookworm, plus this machine's Node 20 since Debian's
// nodejs is 18). The context is a copy of the checkout with planted secrets and clutter, so the
// ignore file is what keeps them out.
let work: string;
let storage: string[];
const NODE_BASE = 'localhost/archway-test/node-base:20';
const IMAGE = 'localhost/archway-test/archway:ci';

/** deploy/Containerfile on the prepared context, from the Node base; `target` a stage of it. */
async function buildImage(tag: string, target?: string): Promise<void> {
  const ctx = join(work, 'context');
  // npm's cache from this machine: the same packages, fetched again only if missing.
  const cache = ['-v', `${join(homedir(), '.npm')}:/root/.npm`];
  await buildah([
    'build',
    '--isolation',
    'chroot',
    '--layers',
    '--pull-never',
    '--build-arg',
    `BASE=${NODE_BASE}`,
    ...cache,
    ...(target ? ['--target', target] : []),
    '-f',
    join(ctx, 'deploy/Containerfile'),
    '-t',
    tag,
    ctx,
  ]);
}

async function buildah(args: string[]): Promise<string> {
  return (await run('buildah', [...storage, ...args], big)).stdout;
}

/** Runs a command in a fresh container of `ref`; its exit code and output. */
async function runIn(ref: string, cmd: string[], env: string[] = []): Promise<{ code: number; out: string }> {
  const ctr = (await buildah(['from', '--pull-never', ref])).trim();
  try {
    const r = await run('buildah', [...storage, 'run', '--isolation', 'chroot', ...env.flatMap((e) => ['--env', e]), ctr, '--', ...cmd], big).then(
      (ok) => ({ code: 0, out: ok.stdout + ok.stderr }),
      (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, out: err.stdout + err.stderr }),
    );
    return r;
  } finally {
    await buildah(['rm', ctr]).catch(() => {});
  }
}

beforeAll(async () => {
  work = await mkdtemp(join(inject('tmpRoot'), 'image-'));
  storage = ['--root', join(work, 'storage'), '--runroot', join(work, 'run'), '--storage-driver', 'overlay'];
  const debian = await pushDebianBase({ registryHost: inject('registryHost'), workDir: work });

  // Node 20 into the Debian base: the node binary and npm exactly as installed here.
  const baseCtx = join(work, 'node-base');
  await mkdir(baseCtx, { recursive: true });
  const npmCli = await readlink('/usr/bin/npm').catch(() => '../lib/node_modules/npm/bin/npm-cli.js');
  const npmDir = dirname(dirname(join('/usr/bin', npmCli)));
  await cp(process.execPath, join(baseCtx, 'node'));
  await cp(npmDir, join(baseCtx, 'npm'), { recursive: true });
  // The CA this machine trusts beyond the system's (an intercepting proxy), as an image of a site would.
  const extraCa = process.env.NODE_EXTRA_CA_CERTS;
  if (extraCa) await cp(extraCa, join(baseCtx, 'extra-ca.crt'));
  const caLines = extraCa
    ? 'COPY extra-ca.crt /usr/local/share/archway-test/extra-ca.crt\nENV NODE_EXTRA_CA_CERTS=/usr/local/share/archway-test/extra-ca.crt\n'
    : '';
  await writeFile(
    join(baseCtx, 'Containerfile'),
    `FROM ${debian.ref}\nCOPY node /usr/local/bin/node\nCOPY npm /usr/local/lib/node_modules/npm\n${caLines}RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm && node --version\n`,
  );
  await buildah(['build', '--isolation', 'chroot', '--pull-never', '-t', NODE_BASE, baseCtx]);

  // The build context: this checkout's files (tracked and new, as git lists them), then what a
  // used checkout also holds and must never reach an image.
  const ctx = join(work, 'context');
  const { stdout } = await run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: root, ...big });
  for (const f of stdout.split('\0').filter(Boolean)) {
    await mkdir(dirname(join(ctx, f)), { recursive: true });
    await cp(join(root, f), join(ctx, f), { verbatimSymlinks: true }).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw e; // deleted in the work tree, still in the index
    });
  }
  await mkdir(join(ctx, '.archway/pg'), { recursive: true });
  await writeFile(join(ctx, '.archway/admin-token'), 'arch_planted_admin_token_0123456789');
  await writeFile(join(ctx, '.archway/secret-key'), 'planted-secret-key-planted-secret-key');
  await mkdir(join(ctx, 'apps/agent/.archway/agent'), { recursive: true });
  await writeFile(join(ctx, 'apps/agent/.archway/agent/planted'), 'x');
  await mkdir(join(ctx, '.git'), { recursive: true });
  await writeFile(join(ctx, '.git/config'), '[core]\n');
  await mkdir(join(ctx, 'test-artifacts'), { recursive: true });
  await writeFile(join(ctx, 'test-artifacts/planted.log'), 'x');
  await mkdir(join(ctx, 'node_modules/planted-module'), { recursive: true });
  await writeFile(join(ctx, 'node_modules/planted-module/index.js'), 'x');

  await buildImage(IMAGE);
}, 1_800_000);

afterAll(async () => {
  if (work) {
    await run('buildah', [...storage, 'rm', '--all']).catch(() => {});
    await run('buildah', [...storage, 'rmi', '--all', '--force']).catch(() => {});
    await rm(work, { recursive: true, force: true });
  }
}, 120_000);

describe('deploy/Containerfile, built with buildah from a Debian base made here', () => {
  it('keeps secret-bearing paths and clutter out, in the image and in its build stage', async () => {
    const listing = async (ref: string, dir: string) =>
      (
        await runIn(ref, [
          'sh',
          '-c',
          `cd ${dir} && find . -maxdepth 4 \\( -name .archway -o -name .git -o -name test-artifacts -o -name planted-module \\) -print`,
        ])
      ).out.trim();
    expect(await listing(IMAGE, '/opt/archway')).toBe('');
    await buildImage('localhost/archway-test/build-stage:ci', 'build'); // the layers are reused
    expect(await listing('localhost/archway-test/build-stage:ci', '/src')).toBe('');
    const planted = await runIn(IMAGE, ['sh', '-c', 'grep -rl planted_admin_token /opt/archway /src 2>/dev/null | head -3']);
    expect(planted.out.trim()).toBe('');
    // What the processes need is there; the image runs a bundle with plain Node, no TypeScript runner.
    const present = await runIn(IMAGE, [
      'sh',
      '-c',
      'ls dist/api.mjs dist/merger.mjs dist/agent.mjs dist/migrate.mjs apps/web/dist/index.html prisma/migrations/migration_lock.toml && command -v buildah git',
    ]);
    expect(present.code, present.out).toBe(0);
    const config = JSON.parse(await buildah(['inspect', '--type', 'image', IMAGE])) as { OCIv1: { config: { Cmd: string[]; WorkingDir: string } } };
    expect(config.OCIv1.config).toMatchObject({ Cmd: ['node', 'dist/api.mjs'], WorkingDir: '/opt/archway' });
  });

  it.each([
    ['api', 'invalid API configuration', 'DATABASE_URL: is required'],
    ['merger', 'invalid merger configuration', 'ARCHWAY_OBJECT_STORE: is required'],
    ['agent', 'invalid agent configuration', 'REDIS_URL: is required'],
  ])('starts the %s far enough to name a missing variable (exit 2)', async (role, title, line) => {
    const r = await runIn(IMAGE, ['node', `dist/${role}.mjs`]);
    expect(r.code, r.out).toBe(2);
    expect(r.out).toContain(title);
    expect(r.out).toContain(line);
  });
});
