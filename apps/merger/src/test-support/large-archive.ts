import { createCipheriv, createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import * as tar from 'tar-stream';
import type { PlatformParts } from '@archway/contract';
import type { ObjectStore } from '@archway/runtime';
import { imageDocuments, OCI_LAYOUT_FILE, sha256 } from './oci-archive.ts';

const CHUNK = 1024 * 1024;

/** Deterministic pseudo-random bytes (AES-CTR keystream): the same layer can be produced twice. */
async function* keystream(size: number, seed: number): AsyncGenerator<Buffer> {
  const key = createHash('sha256').update(`layer-${seed}`).digest();
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  const zeros = Buffer.alloc(CHUNK);
  for (let left = size; left > 0; left -= CHUNK) yield cipher.update(left >= CHUNK ? zeros : zeros.subarray(0, left));
}

/**
 * Writes an archive with one layer of `size` bytes without ever holding it: a first pass
 * computes the layer's digest (it names the tar entry), a second streams it into the tar.
 */
export async function writeLargeArchive(store: ObjectStore, key: string, platform: PlatformParts, size: number) {
  const hash = createHash('sha256');
  for await (const chunk of keystream(size, size)) hash.update(chunk);
  const layerDigest = `sha256:${hash.digest('hex')}`;
  const docs = imageDocuments(platform, [{ digest: layerDigest, diffId: layerDigest, size }]);

  const pack = tar.pack();
  const put = store.put(key, Readable.from(pack as unknown as AsyncIterable<Buffer>));
  const sink = pack.entry({ name: `blobs/sha256/${layerDigest.slice(7)}`, size });
  for await (const chunk of keystream(size, size)) {
    if (!sink.write(chunk)) await new Promise<void>((resolve) => sink.once('drain', () => resolve()));
  }
  const finished = new Promise<void>((resolve, reject) => {
    sink.once('finish', () => resolve());
    sink.once('error', reject);
  });
  (sink as unknown as { end(): void }).end();
  await finished;
  for (const doc of [docs.config, docs.manifest]) pack.entry({ name: `blobs/sha256/${sha256(doc).slice(7)}` }, doc);
  pack.entry({ name: 'index.json' }, docs.index);
  pack.entry({ name: 'oci-layout' }, OCI_LAYOUT_FILE);
  pack.finalize();
  const stored = await put;
  return { key, size: stored.size, digest: stored.digest, manifestDigest: sha256(docs.manifest), layerDigest };
}
