import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import * as tar from 'tar-stream';
import type { BuildResult, Platform, PlatformParts } from '@archway/contract';
import { ArchiveLayoutHasher, type ObjectStore } from '@archway/runtime';

/**
 * Test helper: writes real per-platform archives (OCI image layout in a tar, like
 * `buildah push oci-archive:`) with random gzip layers and correct digests, plus the ways an
 * archive can be wrong.
 */
export interface TestLayer {
  digest: string;
  diffId: string;
  data: Buffer;
}

export const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** A gzip'ed tar with one random file: a real layer. */
export async function makeLayer(bytes = 32 * 1024): Promise<TestLayer> {
  const pack = tar.pack();
  pack.entry({ name: `data-${randomBytes(4).toString('hex')}.bin`, mode: 0o644 }, randomBytes(bytes));
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack as unknown as AsyncIterable<Buffer>) chunks.push(c);
  const raw = Buffer.concat(chunks);
  const data = gzipSync(raw);
  return { digest: sha256(data), diffId: sha256(raw), data };
}

export interface TarEntry {
  name: string;
  type?: tar.Header['type'];
  data?: Buffer;
  linkname?: string;
}

export interface TestArchiveOptions {
  platform: PlatformParts;
  layers?: TestLayer[];
  /** Entries written before the layout (e.g. `../evil`, a symlink). */
  extraEntries?: TarEntry[];
  /** Store different bytes under the first layer's name. */
  corruptLayer?: boolean;
}

export interface TestArchive {
  key: string;
  size: number;
  digest: string;
  /** What the agent reports as archiveLayoutDigest. */
  layoutDigest: string;
  manifestDigest: string;
  configDigest: string;
  layers: TestLayer[];
}

/** config, manifest and index.json of a single-platform image with these layers. */
export function imageDocuments(platform: PlatformParts, layers: { digest: string; diffId: string; size: number }[]) {
  const config = Buffer.from(
    JSON.stringify({
      architecture: platform.architecture,
      os: platform.os,
      ...(platform.variant ? { variant: platform.variant } : {}),
      config: {},
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
    }),
  );
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
      layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: l.digest, size: l.size })),
    }),
  );
  const index = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sha256(manifest), size: manifest.length }],
    }),
  );
  return { config, manifest, index };
}

export const OCI_LAYOUT_FILE = Buffer.from('{"imageLayoutVersion": "1.0.0"}');

export async function writeTestArchive(store: ObjectStore, key: string, opts: TestArchiveOptions): Promise<TestArchive> {
  const layers = opts.layers ?? [await makeLayer(), await makeLayer(48 * 1024)];
  const { config, manifest, index } = imageDocuments(
    opts.platform,
    layers.map((l) => ({ digest: l.digest, diffId: l.diffId, size: l.data.length })),
  );
  const blob = (data: Buffer, as = data): TarEntry => ({ name: `blobs/sha256/${sha256(as).slice(7)}`, data });
  const entries: TarEntry[] = [
    ...(opts.extraEntries ?? []),
    { name: 'blobs/', type: 'directory' },
    { name: 'blobs/sha256/', type: 'directory' },
    ...layers.map((l, i) => (i === 0 && opts.corruptLayer ? blob(Buffer.from(l.data).fill(7, 0, 16), l.data) : blob(l.data))),
    blob(config),
    blob(manifest),
    { name: 'index.json', data: index },
    { name: 'oci-layout', data: OCI_LAYOUT_FILE },
  ];
  const put = await store.put(key, Readable.from(packEntries(entries)));
  return {
    key,
    size: put.size,
    digest: put.digest,
    layoutDigest: layoutDigestOf(entries),
    manifestDigest: sha256(manifest),
    configDigest: sha256(config),
    layers,
  };
}

/** The layout digest of the archive `packEntries(entries)` writes, as an agent computes it. */
export function layoutDigestOf(entries: TarEntry[]): string {
  const hasher = new ArchiveLayoutHasher();
  for (const e of entries) {
    const type = e.type ?? 'file';
    const size = type === 'file' ? (e.data?.length ?? 0) : 0;
    if (hasher.entry({ name: e.name, type, size }) && e.data) hasher.content(e.data);
  }
  return hasher.digest();
}

async function* packEntries(entries: TarEntry[]): AsyncGenerator<Buffer> {
  const pack = tar.pack();
  for (const e of entries) {
    const type = e.type ?? 'file';
    pack.entry({ name: e.name, type, linkname: e.linkname, mode: type === 'directory' ? 0o755 : 0o644, size: e.data?.length ?? 0 }, e.data ?? Buffer.alloc(0));
  }
  pack.finalize();
  yield* pack as unknown as AsyncIterable<Buffer>;
}

/** The BuildResult an agent would return for an archive (an archive without `layoutDigest`: an older agent's). */
export function resultFor(
  archive: { key: string; size: number; digest: string; layoutDigest?: string; manifestDigest: string },
  platform: Platform,
  taskId: string,
): BuildResult {
  return {
    taskId,
    platform,
    archiveKey: archive.key,
    archiveSize: archive.size,
    archiveDigest: archive.digest,
    ...(archive.layoutDigest ? { archiveLayoutDigest: archive.layoutDigest } : {}),
    manifestDigest: archive.manifestDigest,
  };
}
