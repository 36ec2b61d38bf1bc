import { execFile } from 'node:child_process';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { platformSlug, type Platform } from '@archway/contract';

const run = promisify(execFile);

/**
 * Builds `FROM scratch` + busybox with real buildah for `platform` and writes it as an
 * oci-archive, the way an agent does. Storage is per platform: buildah 1.28 mixes platforms in
 * its layer cache otherwise.
 */
export async function buildBusyboxArchive(dir: string, platform: Platform): Promise<string> {
  const slug = platformSlug(platform);
  const ctx = join(dir, `ctx-${slug}`);
  await mkdir(ctx, { recursive: true });
  await copyFile('/bin/busybox', join(ctx, 'busybox'));
  await writeFile(join(ctx, 'Containerfile'), `FROM scratch\nCOPY busybox /bin/busybox\nCOPY marker /marker\n`);
  await writeFile(join(ctx, 'marker'), `${platform}\n`);
  const storage = ['--root', join(dir, `root-${slug}`), '--runroot', join(dir, `run-${slug}`), '--storage-driver', 'overlay'];
  const tag = `localhost/archway-test:${slug}`;
  await run('buildah', [...storage, 'build', '--isolation', 'chroot', '--platform', platform, '-t', tag, '-f', join(ctx, 'Containerfile'), ctx]);
  const out = join(dir, `${slug}.tar`);
  await run('buildah', [...storage, 'push', tag, `oci-archive:${out}`]);
  return out;
}
