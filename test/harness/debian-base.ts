import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * A real Debian bookworm base image for tests that need an operating system in the image (package
 * databases for SBOMs, a shell and libc for the production Containerfile). No registry on the
 * internet is reachable here, so the root filesystem is made with `debootstrap --variant=minbase`
 * from Debian's apt mirror (about 30 s, once) and cached as a tarball, then imported with buildah
 * and pushed to the test's own registry.
 *
 * ARCHWAY_TEST_CACHE moves the cache (default /var/cache/archway-test); ARCHWAY_DEBIAN_MIRROR the
 * mirror (default http://deb.debian.org/debian).
 */
export const DEBIAN_SUITE = 'bookworm';

const cacheDir = () => process.env.ARCHWAY_TEST_CACHE ?? '/var/cache/archway-test';
const mirror = () => process.env.ARCHWAY_DEBIAN_MIRROR ?? 'http://deb.debian.org/debian';

/** Path of the cached root filesystem tarball, made on first use (by one process; others wait for it). */
export async function debianRootfsTarball(): Promise<string> {
  const dir = cacheDir();
  await mkdir(dir, { recursive: true });
  const tarball = join(dir, `debian-${DEBIAN_SUITE}-minbase-${process.arch}.tar`);
  if (await exists(tarball)) return tarball;
  const lock = `${tarball}.lock`;
  const handle = await open(lock, 'wx').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'EEXIST') return undefined;
    throw e;
  });
  if (!handle) return waitForTarball(tarball, lock);
  try {
    await handle.writeFile(String(process.pid));
    const work = await mkdtemp(join(dir, 'debootstrap-'));
    try {
      const rootfs = join(work, 'rootfs');
      await run('debootstrap', ['--variant=minbase', DEBIAN_SUITE, rootfs, mirror()], { maxBuffer: 64 * 1024 * 1024 });
      // Downloaded .debs and apt lists are half the size and nothing a test reads.
      await rm(join(rootfs, 'var/cache/apt/archives'), { recursive: true, force: true });
      await rm(join(rootfs, 'var/lib/apt/lists'), { recursive: true, force: true });
      const partial = join(work, 'rootfs.tar');
      await run('tar', ['--numeric-owner', '-C', rootfs, '-cf', partial, '.']);
      await rename(partial, tarball); // atomic: a reader never sees half a tarball
    } finally {
      await rm(work, { recursive: true, force: true });
    }
    return tarball;
  } finally {
    await handle.close();
    await rm(lock, { force: true });
  }
}

/** Another process is making the tarball: wait for it, or take over if that process died. */
async function waitForTarball(tarball: string, lock: string): Promise<string> {
  const deadline = Date.now() + 10 * 60_000;
  while (Date.now() < deadline) {
    if (await exists(tarball)) return tarball;
    const owner = Number(await readFile(lock, 'utf8').catch(() => ''));
    if (!(await exists(lock)) || (owner > 0 && !alive(owner))) {
      await rm(lock, { force: true });
      return debianRootfsTarball();
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${tarball} (lock ${lock})`);
}

export interface DebianBase {
  /** e.g. `127.0.0.1:5000/test/debian:bookworm`. */
  ref: string;
  /** Manifest digest as pushed. */
  digest: string;
}

/**
 * Imports the cached root filesystem as an image and pushes it to `registryHost` (plain HTTP).
 * `workDir` holds buildah's storage for the import; the caller removes it.
 */
export async function pushDebianBase(opts: { registryHost: string; workDir: string; repository?: string; tag?: string }): Promise<DebianBase> {
  const tarball = await debianRootfsTarball();
  const context = join(opts.workDir, 'context');
  await mkdir(context, { recursive: true });
  await run('ln', ['-f', tarball, join(context, 'rootfs.tar')]).catch(() => run('cp', [tarball, join(context, 'rootfs.tar')]));
  await writeFile(join(context, 'Containerfile'), 'FROM scratch\nADD rootfs.tar /\nCMD ["/bin/bash"]\n');
  const storage = ['--root', join(opts.workDir, 'storage'), '--runroot', join(opts.workDir, 'run'), '--storage-driver', 'overlay'];
  const ref = `${opts.registryHost}/${opts.repository ?? 'test/debian'}:${opts.tag ?? DEBIAN_SUITE}`;
  await run('buildah', [...storage, 'build', '--isolation', 'chroot', '-t', ref, context], { maxBuffer: 64 * 1024 * 1024 });
  const digestFile = join(opts.workDir, 'digest');
  await run('buildah', [...storage, 'push', '--tls-verify=false', '--digestfile', digestFile, ref, `docker://${ref}`]);
  return { ref, digest: (await readFile(digestFile, 'utf8')).trim() };
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
