// (a) The seeds' manual path (seed 002, Tekton): unpack each per-platform oci-archive into
// containers-storage with skopeo, assemble a manifest list with buildah, push it with --all.
import { execFile } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface SeedsTiming {
  total: number;
  steps: { name: string; ms: number }[];
}

async function timed<T>(steps: SeedsTiming['steps'], name: string, fn: () => Promise<T>): Promise<T> {
  const t = performance.now();
  const out = await fn();
  steps.push({ name, ms: performance.now() - t });
  return out;
}

/** Runs the path in a fresh storage root (`--storage-driver overlay`), as a CI job would. */
export async function seedsPath(dir: string, archives: { platform: string; path: string }[], target: string): Promise<SeedsTiming> {
  const root = join(dir, 'root');
  const runroot = join(dir, 'run');
  await mkdir(dir, { recursive: true });
  const storage = ['--root', root, '--runroot', runroot, '--storage-driver', 'overlay'];
  const steps: SeedsTiming['steps'] = [];
  const started = performance.now();
  const names: string[] = [];
  // One platform after the other, like the seed's `for` loop.
  for (const a of archives) {
    const name = `localhost/seed:${a.platform.replace('/', '-')}`;
    await timed(steps, `skopeo copy oci-archive → containers-storage (${a.platform})`, () =>
      run('skopeo', ['copy', '--quiet', `oci-archive:${a.path}`, `containers-storage:[overlay@${root}+${runroot}]${name}`], { maxBuffer: 64 * 1024 * 1024 }),
    );
    names.push(name);
  }
  await timed(steps, 'buildah manifest create + add', async () => {
    await run('buildah', [...storage, 'manifest', 'create', 'seed-list']);
    for (const name of names) await run('buildah', [...storage, 'manifest', 'add', 'seed-list', `containers-storage:${name}`]);
  });
  await timed(steps, 'buildah manifest push --all', () =>
    run('buildah', [...storage, 'manifest', 'push', '--all', '--quiet', '--tls-verify=false', 'seed-list', `docker://${target}`], {
      maxBuffer: 64 * 1024 * 1024,
    }),
  );
  const total = performance.now() - started;
  await run('buildah', [...storage, 'rmi', '--all', '--force']).catch(() => {});
  await rm(dir, { recursive: true, force: true });
  return { total, steps };
}
