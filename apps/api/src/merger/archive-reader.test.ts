import type {} from '../../../../test/global-setup.ts';
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { FsObjectStore } from '@archway/shared/node';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { readArchive, type ArchiveBlob } from './archive-reader.ts';
import { BadArchiveError } from './errors.ts';
import { writeTestArchive, type TarEntry, type TestArchive } from './test-support/oci-archive.ts';

const amd64 = { os: 'linux', architecture: 'amd64' };
let store: FsObjectStore;

beforeAll(async () => {
  store = new FsObjectStore(await mkdtemp(join(inject('tmpRoot'), 'reader-')));
});

/** Reads an archive, draining blobs and counting the bytes each one delivered. */
async function read(archive: TestArchive, expected: Partial<{ size: number; digest: string }> = {}) {
  const delivered = new Map<string, number>();
  const contents = await readArchive(await store.get(archive.key), {
    expectedSize: expected.size ?? archive.size,
    expectedDigest: expected.digest ?? archive.digest,
    onBlob: async (blob: ArchiveBlob) => {
      let n = 0;
      for await (const chunk of blob.stream) n += (chunk as Buffer).length;
      delivered.set(blob.digest, n);
    },
  });
  return { contents, delivered };
}

async function archiveWith(extraEntries: TarEntry[]) {
  return writeTestArchive(store, `bad/${Math.random()}.tar`, { platform: amd64, extraEntries });
}

describe('readArchive', () => {
  it('streams every blob and keeps only the small JSON documents', async () => {
    const archive = await writeTestArchive(store, 'ok.tar', { platform: amd64 });
    const { contents, delivered } = await read(archive);
    expect(contents.digest).toBe(archive.digest);
    expect(contents.size).toBe(archive.size);
    expect(contents.blobs.size).toBe(4);
    for (const layer of archive.layers) expect(delivered.get(layer.digest)).toBe(layer.data.length);
    expect([...contents.json.keys()].sort()).toEqual([archive.configDigest, archive.manifestDigest].sort());
    expect(JSON.parse(contents.index.toString()).manifests[0].digest).toBe(archive.manifestDigest);
  });

  it.each([
    ['an entry escaping the root', [{ name: '../evil', data: Buffer.from('x') }], /"\.\.\/evil" escapes the archive root/],
    ['a nested escape', [{ name: 'blobs/../../evil', data: Buffer.from('x') }], /escapes the archive root/],
    ['an absolute path', [{ name: '/etc/passwd', data: Buffer.from('x') }], /"\/etc\/passwd" is an absolute path/],
    ['a symlink', [{ name: 'index.json', type: 'symlink', linkname: '/etc/passwd' }], /"index.json" is a symlink/],
    ['a hard link', [{ name: 'oci-layout', type: 'link', linkname: 'blobs/x' }], /"oci-layout" is a link/],
    ['a fifo', [{ name: 'blobs/sha256/pipe', type: 'fifo' }], /is a fifo/],
    ['an unexpected file', [{ name: 'blobs/sha256/not-a-digest', data: Buffer.from('x') }], /unexpected file/],
  ] as [string, TarEntry[], RegExp][])('rejects %s', async (_what, entries, message) => {
    const archive = await archiveWith(entries);
    const err = await read(archive).catch((e) => e);
    expect(err).toBeInstanceOf(BadArchiveError);
    expect(err.message).toMatch(message);
  });

  it('rejects a blob whose content does not match its name, before its last byte', async () => {
    const archive = await writeTestArchive(store, 'corrupt.tar', { platform: amd64, corruptLayer: true });
    const delivered: number[] = [];
    const err = await readArchive(await store.get(archive.key), {
      expectedSize: archive.size,
      expectedDigest: archive.digest,
      onBlob: async (blob) => {
        let n = 0;
        try {
          for await (const chunk of blob.stream) n += (chunk as Buffer).length;
        } finally {
          delivered.push(n);
        }
      },
    }).catch((e) => e);
    expect(err).toBeInstanceOf(BadArchiveError);
    expect(err.message).toContain(`blob ${archive.layers[0]!.digest} in the archive has content with digest sha256:`);
    expect(delivered[0]).toBeLessThan(archive.layers[0]!.data.length);
  });

  it('rejects an archive that differs from what the agent reported', async () => {
    const archive = await writeTestArchive(store, 'digest.tar', { platform: amd64 });
    const other = `sha256:${'0'.repeat(64)}`;
    await expect(read(archive, { digest: other })).rejects.toThrow(`archive digest is ${archive.digest}, but the agent reported ${other}`);
    await expect(read(archive, { size: archive.size + 512 })).rejects.toThrow(`archive is ${archive.size} bytes, but the agent reported ${archive.size + 512}`);
    await expect(read(archive, { size: 4096 })).rejects.toThrow('archive is larger than the 4096 bytes the agent reported');
  });
});
