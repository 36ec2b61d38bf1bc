import type {} from '../../../test/global-setup.ts';
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { FsObjectStore } from '@archway/runtime';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { scanArchive, SMALL_JSON_LIMIT, verifiedStream, type BlobEntry } from './archive-reader.ts';
import { BadArchiveError } from './errors.ts';
import { makeLayer, writeTestArchive, type TarEntry, type TestArchive } from './test-support/oci-archive.ts';

const amd64 = { os: 'linux', architecture: 'amd64' };
let store: FsObjectStore;

beforeAll(async () => {
  store = new FsObjectStore(await mkdtemp(join(inject('tmpRoot'), 'reader-')));
});

/** Scans an archive, collecting the blobs it reports. */
async function read(archive: TestArchive, expected: Partial<{ size: number; digest: string; layoutDigest: string }> = {}) {
  const reported: BlobEntry[] = [];
  const contents = await scanArchive(await store.get(archive.key), {
    expectedSize: expected.size ?? archive.size,
    expectedDigest: expected.digest ?? archive.digest,
    ...(expected.layoutDigest ? { expectedLayoutDigest: expected.layoutDigest } : {}),
    onBlob: (blob) => void reported.push(blob),
  });
  return { contents, reported };
}

/** sha256 of a blob read again by its reported range, through verifiedStream. */
async function rangeDigest(key: string, blob: BlobEntry): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of verifiedStream(await store.get(key, { start: blob.offset, end: blob.offset + blob.size - 1 }), blob.digest, blob.size))
    hash.update(chunk);
  return `sha256:${hash.digest('hex')}`;
}

async function archiveWith(extraEntries: TarEntry[]) {
  return writeTestArchive(store, `bad/${Math.random()}.tar`, { platform: amd64, extraEntries });
}

describe('scanArchive', () => {
  it('reports where every blob is, small and large, and keeps only the small JSON documents', async () => {
    const large = await makeLayer(SMALL_JSON_LIMIT + 1000);
    const archive = await writeTestArchive(store, 'ok.tar', { platform: amd64, layers: [await makeLayer(), large] });
    const { contents, reported } = await read(archive);
    expect(contents.size).toBe(archive.size);
    expect(contents.blobs.size).toBe(4);
    expect(reported.map((b) => b.digest).sort()).toEqual([...contents.blobs.keys()].sort());
    for (const blob of reported) expect(await rangeDigest(archive.key, blob)).toBe(blob.digest);
    expect(reported.find((b) => b.digest === large.digest)!.size).toBe(large.data.length);
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

  it('rejects a small blob whose content does not match its name while scanning', async () => {
    const archive = await writeTestArchive(store, 'corrupt.tar', { platform: amd64, corruptLayer: true });
    const err = await read(archive).then(
      () => null,
      (e: unknown) => e as Error,
    );
    expect(err).toBeInstanceOf(BadArchiveError);
    expect(err!.message).toContain(`blob ${archive.layers[0]!.digest} in the archive has content with digest sha256:`);
  });

  it('refuses more bytes than the blob has (a store ignoring the range)', async () => {
    const archive = await writeTestArchive(store, 'overrun.tar', { platform: amd64 });
    const { reported } = await read(archive);
    const err = await (async () => {
      for await (const _ of verifiedStream(await store.get(archive.key), reported[0]!.digest, reported[0]!.size));
    })().then(
      () => null,
      (e: unknown) => e as Error,
    );
    expect(err).toBeInstanceOf(BadArchiveError);
    expect(err!.message).toBe(`blob ${reported[0]!.digest} in the archive is longer than its ${reported[0]!.size} bytes`);
  });

  it('hands a blob on in 512 KiB batches, whatever the size of the pieces it is read in', async () => {
    const data = randomBytes(3 * 1024 * 1024 + 5);
    const digest = `sha256:${createHash('sha256').update(data).digest('hex')}`;
    const pieces = Readable.from(
      (function* () {
        for (let at = 0; at < data.length; at += 16 * 1024) yield data.subarray(at, at + 16 * 1024);
      })(),
    );
    const out: Buffer[] = [];
    for await (const chunk of verifiedStream(pieces, digest, data.length)) out.push(chunk as Buffer);
    expect(Buffer.concat(out).equals(data)).toBe(true);
    // 512 KiB batches (not 16 KiB pieces, not the whole blob), then the rest.
    expect(out.map((c) => c.length)).toEqual([...Array(6).fill(512 * 1024), 5]);
  });

  it('checks a large blob read again by range, failing before its last byte', async () => {
    const large = await makeLayer(SMALL_JSON_LIMIT + 1000);
    const archive = await writeTestArchive(store, 'corrupt-large.tar', { platform: amd64, layers: [large], corruptLayer: true });
    // The scan does not hash large blobs: it reports them for whoever reads them again.
    const { reported } = await read(archive);
    const blob = reported.find((b) => b.digest === large.digest)!;
    let delivered = 0;
    const err = await (async () => {
      for await (const chunk of verifiedStream(await store.get(archive.key, { start: blob.offset, end: blob.offset + blob.size - 1 }), blob.digest, blob.size))
        delivered += chunk.length;
    })().catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(BadArchiveError);
    expect(err!.message).toContain(`blob ${large.digest} in the archive has content with digest sha256:`);
    expect(delivered).toBeLessThan(large.data.length);
  });

  it('rejects an archive that differs from what the agent reported', async () => {
    const archive = await writeTestArchive(store, 'digest.tar', { platform: amd64 });
    const other = `sha256:${'0'.repeat(64)}`;
    await expect(read(archive, { digest: other })).rejects.toThrow(`archive digest is ${archive.digest}, but the agent reported ${other}`);
    await expect(read(archive, { size: archive.size + 512 })).rejects.toThrow(`archive is ${archive.size} bytes, but the agent reported ${archive.size + 512}`);
    await expect(read(archive, { size: 4096 })).rejects.toThrow('archive is larger than the 4096 bytes the agent reported');
  });

  it('checks the layout digest, when the agent reported one, instead of hashing the whole archive', async () => {
    const archive = await writeTestArchive(store, 'layout.tar', { platform: amd64, layers: [await makeLayer(SMALL_JSON_LIMIT + 1000)] });
    const other = await writeTestArchive(store, 'layout-other.tar', { platform: amd64 });
    // The whole-archive digest is not looked at: a wrong one passes when the layout digest is right.
    const { contents } = await read(archive, { layoutDigest: archive.layoutDigest, digest: `sha256:${'0'.repeat(64)}` });
    expect(contents.blobs.size).toBe(3);
    await expect(read(archive, { layoutDigest: other.layoutDigest })).rejects.toThrow(
      `archive layout digest is ${archive.layoutDigest}, but the agent reported ${other.layoutDigest}`,
    );
  });
});
