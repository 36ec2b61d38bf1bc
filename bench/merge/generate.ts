// Writes per-platform archives (OCI image layouts in a tar, as `buildah push oci-archive:` does)
// with random, incompressible layers — streaming: no layer is ever held in memory.
import { createCipheriv, createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import * as tar from 'tar-stream';
import { ArchiveLayoutHasher, digestingStream } from '@archway/runtime';
import type { Platform } from '@archway/contract';

const CHUNK = 1024 * 1024;
const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** Pseudo-random bytes (AES-CTR keystream): incompressible, fast, reproducible from a seed. */
export async function* randomBytesStream(size: number, seed: string): AsyncGenerator<Buffer> {
  const cipher = createCipheriv('aes-256-ctr', createHash('sha256').update(seed).digest(), Buffer.alloc(16));
  const zeros = Buffer.alloc(CHUNK);
  for (let left = size; left > 0; left -= CHUNK) yield cipher.update(left >= CHUNK ? zeros : zeros.subarray(0, left));
}

/** Resolves when `w` accepted a write (backpressure). */
async function write(w: Writable, chunk: Buffer): Promise<void> {
  if (!w.write(chunk)) await new Promise<void>((resolve) => w.once('drain', () => resolve()));
}

interface LayerFile {
  path: string;
  digest: string;
  diffId: string;
  size: number;
  mediaType: string;
}

/** One layer: a tar holding one random file, gzip'ed (or not), written to `path`. */
async function writeLayer(path: string, bytes: number, seed: string, gzip: boolean): Promise<LayerFile> {
  const pack = tar.pack();
  const raw = digestingStream();
  const compressed = digestingStream();
  const source = pack as unknown as NodeJS.ReadableStream;
  const writing = gzip
    ? pipeline(source, raw, createGzip({ level: 1 }), compressed, createWriteStream(path))
    : pipeline(source, raw, compressed, createWriteStream(path));
  const entry = pack.entry({ name: `data/${seed}.bin`, size: bytes, mode: 0o644, mtime: new Date(0) });
  for await (const chunk of randomBytesStream(bytes, seed)) await write(entry as unknown as Writable, chunk);
  const ended = new Promise<void>((resolve, reject) => {
    entry.once('finish', () => resolve());
    entry.once('error', reject);
  });
  (entry as unknown as { end(): void }).end();
  await ended;
  pack.finalize();
  await writing;
  const mediaType = gzip ? 'application/vnd.oci.image.layer.v1.tar+gzip' : 'application/vnd.oci.image.layer.v1.tar';
  const packed = compressed.result();
  return { path, digest: packed.digest, diffId: raw.result().digest, size: packed.size, mediaType };
}

export interface GeneratedArchive {
  platform: Platform;
  path: string;
  size: number;
  digest: string;
  /** BuildResult.archiveLayoutDigest, as the agent computes it. */
  layoutDigest: string;
  manifestDigest: string;
  layers: number;
}

/**
 * Writes `dir/<os>-<arch>.tar` for `platform` with layers of the given sizes (bytes of random
 * content each). Layers go to temporary files first: their digests name the tar entries.
 */
export async function generateArchive(
  dir: string,
  platform: Platform,
  layerBytes: number[],
  opts: { gzip?: boolean; seed?: string } = {},
): Promise<GeneratedArchive> {
  const [os, architecture] = platform.split('/') as [string, string];
  const slug = `${os}-${architecture}`;
  const tmp = join(dir, `layers-${slug}`);
  await mkdir(tmp, { recursive: true });
  const layers: LayerFile[] = [];
  for (const [i, bytes] of layerBytes.entries()) {
    layers.push(await writeLayer(join(tmp, `${i}.layer`), bytes, `${opts.seed ?? 'bench'}-${slug}-${i}`, opts.gzip ?? true));
  }

  const config = Buffer.from(
    JSON.stringify({
      architecture,
      os,
      created: '2026-01-01T00:00:00Z',
      config: { Cmd: ['/bin/sh'] },
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
      history: layers.map((_, i) => ({ created: '2026-01-01T00:00:00Z', created_by: `bench layer ${i}` })),
    }),
  );
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
      layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
    }),
  );
  const index = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sha256(manifest), size: manifest.length }],
    }),
  );

  const path = join(dir, `${slug}.tar`);
  const pack = tar.pack();
  const whole = digestingStream();
  const writing = pipeline(pack as unknown as NodeJS.ReadableStream, whole, createWriteStream(path));
  const layout = new ArchiveLayoutHasher();
  const small = (name: string, data: Buffer) => {
    if (layout.entry({ name, type: 'file', size: data.length })) layout.content(data);
    pack.entry({ name, mode: 0o644, mtime: new Date(0) }, data);
  };
  const directory = (name: string) => {
    layout.entry({ name, type: 'directory', size: 0 });
    pack.entry({ name, type: 'directory', mode: 0o755, mtime: new Date(0) });
  };
  small('oci-layout', Buffer.from('{"imageLayoutVersion": "1.0.0"}'));
  directory('blobs/');
  directory('blobs/sha256/');
  for (const layer of layers) {
    layout.entry({ name: `blobs/sha256/${layer.digest.slice(7)}`, type: 'file', size: layer.size });
    const entry = pack.entry({ name: `blobs/sha256/${layer.digest.slice(7)}`, size: layer.size, mode: 0o644, mtime: new Date(0) });
    const ended = new Promise<void>((resolve, reject) => {
      entry.once('finish', () => resolve());
      entry.once('error', reject);
    });
    for await (const chunk of createReadStream(layer.path, { highWaterMark: CHUNK })) await write(entry as unknown as Writable, chunk as Buffer);
    (entry as unknown as { end(): void }).end();
    await ended;
  }
  small(`blobs/sha256/${sha256(config).slice(7)}`, config);
  small(`blobs/sha256/${sha256(manifest).slice(7)}`, manifest);
  small('index.json', index);
  pack.finalize();
  await writing;
  await rm(tmp, { recursive: true, force: true });
  const size = (await stat(path)).size;
  return { platform, path, size, digest: whole.result().digest, layoutDigest: layout.digest(), manifestDigest: sha256(manifest), layers: layers.length };
}

/** A readable of a local file, for ObjectStore.put. */
export const fileSource = (path: string) => createReadStream(path, { highWaterMark: CHUNK }) as Readable;
