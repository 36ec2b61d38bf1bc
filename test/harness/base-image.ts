import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * Builds a one-file FROM-scratch image with buildah (its own storage under `dir`) and pushes it
 * to `reference` over plain HTTP: a base image other builds can be FROM. Different `content`
 * gives a different digest. Returns the pushed manifest digest.
 */
export async function pushBaseImage(dir: string, reference: string, content: string): Promise<string> {
  await mkdir(join(dir, 'ctx'), { recursive: true });
  await writeFile(join(dir, 'ctx', 'base.txt'), content);
  await writeFile(join(dir, 'ctx', 'Containerfile'), 'FROM scratch\nCOPY base.txt /base.txt\n');
  const storage = ['--root', join(dir, 'storage'), '--runroot', join(dir, 'run'), '--storage-driver', 'vfs'];
  const iid = join(dir, 'iid');
  const digest = join(dir, 'digest');
  await run('buildah', [
    ...storage,
    'build',
    '--isolation',
    'chroot',
    '--platform',
    'linux/amd64',
    '--iidfile',
    iid,
    '-f',
    join(dir, 'ctx', 'Containerfile'),
    join(dir, 'ctx'),
  ]);
  const id = (await readFile(iid, 'utf8')).trim();
  await run('buildah', [...storage, 'push', '--tls-verify=false', '--digestfile', digest, id, `docker://${reference}`]);
  return (await readFile(digest, 'utf8')).trim();
}

/** A registries.conf letting buildah pull from `host` over plain HTTP (ARCHWAY_AGENT_REGISTRIES_CONF). */
export async function insecureRegistriesConf(dir: string, host: string): Promise<string> {
  const path = join(dir, 'registries.conf');
  await writeFile(path, `[[registry]]\nlocation = "${host}"\ninsecure = true\n`);
  return path;
}

/** Pushes a one-entry image index pointing at `image` (pushed before) to `reference`; returns the index digest. */
export async function pushIndexOf(dir: string, image: string, reference: string): Promise<string> {
  const storage = ['--root', join(dir, 'storage'), '--runroot', join(dir, 'run'), '--storage-driver', 'vfs'];
  const list = `list-${Date.now()}`;
  const digest = join(dir, 'index-digest');
  await run('buildah', [...storage, 'manifest', 'create', list]);
  await run('buildah', [...storage, 'manifest', 'add', '--tls-verify=false', list, `docker://${image}`]);
  await run('buildah', [...storage, 'manifest', 'push', '--all', '--tls-verify=false', '--digestfile', digest, list, `docker://${reference}`]);
  return (await readFile(digest, 'utf8')).trim();
}
