import type {} from '../../../test/global-setup.ts';
import { randomUUID } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import type { BuildResult } from '@archway/contract';
import { FsObjectStore } from '@archway/runtime';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { RegistryPool } from './registry/index.ts';
import { BadArchiveError } from './errors.ts';
import { publishBuild } from './publish.ts';
import { resultFor, writeTestArchive, type TestArchiveOptions } from './test-support/oci-archive.ts';
import { skopeoTagExists } from './test-support/tools.ts';
import { AMD64, ARM64 } from './test-support/platforms.ts';

const amd64 = { os: 'linux', architecture: 'amd64' };
const arm64 = { os: 'linux', architecture: 'arm64' };
let host: string;
let store: FsObjectStore;
let pool: RegistryPool;

beforeAll(async () => {
  host = inject('registryHost');
  store = new FsObjectStore(await mkdtemp(join(inject('tmpRoot'), 'publish-bad-')));
  pool = new RegistryPool({ authFile: null, insecureRegistries: [host] });
});
afterAll(() => pool.close());

/**
 * Publishes a good amd64 archive and an arm64 one made with `bad` (and `tweak` on its
 * BuildResult); returns the error and whether the tag exists afterwards.
 */
async function publishWithBadArm64(bad: Partial<TestArchiveOptions>, tweak: (r: BuildResult) => BuildResult = (r) => r) {
  const repo = `me/bad-${randomUUID().slice(0, 8)}`;
  const good = await writeTestArchive(store, `${repo}/amd64.tar`, { platform: amd64 });
  const broken = await writeTestArchive(store, `${repo}/arm64.tar`, { platform: arm64, ...bad });
  const err = await publishBuild({
    store,
    registries: pool,
    job: { buildId: randomUUID(), image: `${host}/${repo}`, tags: ['latest'], push: true, platforms: [AMD64, ARM64] },
    results: [resultFor(good, AMD64, 'a'), tweak(resultFor(broken, ARM64, 'b'))],
  }).then(
    () => null,
    (e: Error) => e,
  );
  return { err, tagged: await skopeoTagExists(`${host}/${repo}:latest`), broken };
}

describe('publishBuild with a bad archive', () => {
  it.each([
    ['an entry escaping the root', { extraEntries: [{ name: '../evil', data: Buffer.from('x') }] }, 'archive entry "../evil" escapes the archive root'],
    [
      'a symlink entry',
      { extraEntries: [{ name: 'blobs/sha256/link', type: 'symlink' as const, linkname: '/etc/shadow' }] },
      'archive entry "blobs/sha256/link" is a symlink; only regular files are allowed',
    ],
    ['a config for the wrong platform', { platform: amd64 }, 'archive for linux/arm64 contains an image for linux/amd64'],
  ])('fails on %s and writes no tag', async (_what, bad, reason) => {
    const { err, tagged } = await publishWithBadArm64(bad);
    expect(err).toBeInstanceOf(BadArchiveError);
    expect(err!.message).toBe(reason);
    expect(tagged).toBe(false);
  });

  it('fails on a blob whose content does not match its digest and writes no tag', async () => {
    const { err, tagged, broken } = await publishWithBadArm64({ corruptLayer: true });
    expect(err).toBeInstanceOf(BadArchiveError);
    expect(err!.message).toMatch(new RegExp(`^blob ${broken.layers[0]!.digest} in the archive has content with digest sha256:[0-9a-f]{64}$`));
    expect(tagged).toBe(false);
  });

  it('fails on an archive whose layout digest differs from the BuildResult and writes no tag', async () => {
    const other = `sha256:${'ab'.repeat(32)}`;
    const { err, tagged, broken } = await publishWithBadArm64({}, (r) => ({ ...r, archiveLayoutDigest: other }));
    expect(err).toBeInstanceOf(BadArchiveError);
    expect(err!.message).toBe(`archive layout digest is ${broken.layoutDigest}, but the agent reported ${other}`);
    expect(tagged).toBe(false);
  });

  it('checks the whole archive digest for a result without a layout digest (an older agent) and writes no tag', async () => {
    const other = `sha256:${'ab'.repeat(32)}`;
    const { err, tagged, broken } = await publishWithBadArm64({}, ({ archiveLayoutDigest: _, ...r }) => ({ ...r, archiveDigest: other }));
    expect(err).toBeInstanceOf(BadArchiveError);
    expect(err!.message).toBe(`archive digest is ${broken.digest}, but the agent reported ${other}`);
    expect(tagged).toBe(false);
  });

  it('fails when an archive is missing from the object store', async () => {
    const { err, tagged } = await publishWithBadArm64({}, (r) => ({ ...r, archiveKey: 'archives/none/linux-arm64.tar' }));
    expect(err!.message).toBe('archive archives/none/linux-arm64.tar of linux/arm64 is missing from the object store');
    expect(tagged).toBe(false);
  });
});
