import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { ArchiveLayoutHasher, normalizeEntryName } from '@archway/runtime';
import * as tar from 'tar-stream';
import { BadArchiveError } from './errors.ts';

/** index.json, oci-layout, manifests and configs are small; anything larger is a layer. */
export const SMALL_JSON_LIMIT = 4 * 1024 * 1024;
/** Total small JSON kept in memory per archive; an honest archive holds a few KiB. */
const SMALL_JSON_BUDGET = 16 * 1024 * 1024;
const BLOB_NAME = /^blobs\/sha256\/([0-9a-f]{64})$/;
const ALLOWED_DIRS = new Set(['', 'blobs', 'blobs/sha256']);

/** A blob of the archive: where its bytes are, to be read again on their own (by range). */
export interface BlobEntry {
  digest: string;
  size: number;
  /** Byte offset of the blob's content within the archive. */
  offset: number;
}

export interface ArchiveContents {
  /** index.json as stored. */
  index: Buffer;
  /** Every blob of the archive: digest → size. */
  blobs: Map<string, number>;
  /** Small blobs that look like JSON (manifests, configs), digest → bytes. */
  json: Map<string, Buffer>;
  size: number;
}

export interface ScanArchiveOptions {
  /** BuildResult.archiveSize / archiveDigest: the archive must be what the agent uploaded. */
  expectedSize: number;
  expectedDigest: string;
  /**
   * BuildResult.archiveLayoutDigest. When given, it is checked instead of `expectedDigest`: the
   * entries' listing and non-blob contents are hashed, blob contents only by whoever uploads them.
   */
  expectedLayoutDigest?: string;
  /**
   * Called for each blob as soon as its place is known (large ones before their bytes went by,
   * small ones once checked), so that uploading can start while the scan goes on.
   */
  onBlob?(blob: BlobEntry): void;
  /**
   * Large blobs, instead of `onBlob`: called before their bytes go by. Returning a consumer hands
   * it the blob's bytes as they are read (one pass over the archive, no re-read): hashed on the
   * way, the last batch held back until the digest is checked, the scan waiting while the
   * consumer is slow (bounded memory). A consumer that stops reading (destroys the stream) just
   * gets nothing more; the scan goes on. Returning undefined skips the blob's bytes.
   */
  streamBlob?(blob: BlobEntry): Promise<((body: Readable) => void) | undefined>;
}

/** Bytes of a streamed blob buffered ahead of its consumer. */
const STREAM_HIGH_WATER_MARK = 1024 * 1024;

/**
 * Scans a per-platform archive (an OCI image layout in a tar, as `buildah push oci-archive:`
 * writes) in one streaming pass: checks every entry, the archive's size and its layout digest (or,
 * without one, the digest of the whole archive), and the digest of every small blob, and keeps the
 * small JSON documents. A large blob is hashed only when it is uploaded: streamed (`streamBlob`,
 * checked on the way) or read again by range (`verifiedStream`).
 */
export async function scanArchive(source: Readable, opts: ScanArchiveOptions): Promise<ArchiveContents> {
  const extract = tar.extract();
  const listing = opts.expectedLayoutDigest ? new ArchiveLayoutHasher() : null;
  const whole = listing ? null : createHash('sha256');
  let size = 0;
  const feeding = feed(source, extract, (chunk) => {
    size += chunk.length;
    if (size > opts.expectedSize) {
      throw new BadArchiveError(`archive is larger than the ${opts.expectedSize} bytes the agent reported`);
    }
    whole?.update(chunk);
  });
  // Errors of the feeding side surface through the iterator below.
  feeding.catch((err) => extract.destroy(err));

  const blobs = new Map<string, number>();
  const json = new Map<string, Buffer>();
  let jsonBytes = 0;
  let index: Buffer | undefined;
  let layout: Buffer | undefined;
  try {
    for await (const entry of extract) {
      const hashContent = listing?.entry(entry.header) ?? false;
      const name = checkEntry(entry.header);
      if (name === null) {
        entry.resume();
        continue;
      }
      const body = hashContent ? hashedBy(listing!, entry as unknown as AsyncIterable<Buffer>) : (entry as unknown as AsyncIterable<Buffer>);
      if (name === 'index.json' || name === 'oci-layout') {
        if ((name === 'index.json' ? index : layout) !== undefined) throw new BadArchiveError(`archive has ${name} twice`);
        const data = await readSmall(body, entry.header.size, name);
        if (name === 'index.json') index = data;
        else layout = data;
        continue;
      }
      const digest = `sha256:${BLOB_NAME.exec(name)![1]}`;
      const blob: BlobEntry = { digest, size: entry.header.size ?? 0, offset: (entry.header as { byteOffset?: number }).byteOffset ?? -1 };
      if (!Number.isSafeInteger(blob.offset) || blob.offset < 0) throw new Error('tar reader did not report entry offsets');
      blobs.set(digest, blob.size);
      if (blob.size > SMALL_JSON_LIMIT) {
        if (!opts.streamBlob) {
          opts.onBlob?.(blob);
          for await (const _ of body); // eslint-disable-line @typescript-eslint/no-unused-vars
          continue;
        }
        const consumer = await opts.streamBlob(blob);
        if (!consumer) {
          for await (const _ of body); // eslint-disable-line @typescript-eslint/no-unused-vars
          continue;
        }
        await passOn(body, blob, consumer);
        continue;
      }
      const chunks: Buffer[] = [];
      for await (const chunk of verified(body, digest, blob.size)) chunks.push(chunk);
      const data = Buffer.concat(chunks);
      if (data[0] === 0x7b /* { */ && !json.has(digest)) {
        jsonBytes += data.length;
        if (jsonBytes > SMALL_JSON_BUDGET) throw new BadArchiveError('archive holds too many JSON blobs (over 16 MiB)');
        json.set(digest, data);
      }
      opts.onBlob?.(blob);
    }
    await feeding;
  } catch (err) {
    source.destroy();
    extract.destroy();
    throw err;
  }

  if (size !== opts.expectedSize) throw new BadArchiveError(`archive is ${size} bytes, but the agent reported ${opts.expectedSize}`);
  if (listing) {
    const found = listing.digest();
    if (found !== opts.expectedLayoutDigest)
      throw new BadArchiveError(`archive layout digest is ${found}, but the agent reported ${opts.expectedLayoutDigest}`);
  } else {
    const found = `sha256:${whole!.digest('hex')}`;
    if (found !== opts.expectedDigest) throw new BadArchiveError(`archive digest is ${found}, but the agent reported ${opts.expectedDigest}`);
  }
  if (!layout) throw new BadArchiveError('archive has no oci-layout file: not an OCI image layout');
  if (!index) throw new BadArchiveError('archive has no index.json: not an OCI image layout');
  return { index, blobs, json, size };
}

/** An entry's content, passed through `layout` on the way. */
async function* hashedBy(layout: ArchiveLayoutHasher, body: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  for await (const chunk of body) {
    layout.content(chunk);
    yield chunk;
  }
}

/** A blob's bytes read again on their own, checked against its size and digest (see `verified`). */
export function verifiedStream(source: Readable, digest: string, size: number): Readable {
  const out = Readable.from(verified(source as AsyncIterable<Buffer>, digest, size), { objectMode: false });
  out.once('close', () => source.destroy());
  return out;
}

/**
 * Validates a tar header. Returns the normalised name of a file to read, or null for a harmless
 * directory entry. Links and special files are refused: an OCI layout has none.
 */
function checkEntry(header: tar.Header): string | null {
  const raw = header.name;
  if (raw.includes('\0') || raw.includes('\\')) throw new BadArchiveError(`archive entry "${printable(raw)}" has an invalid name`);
  if (raw.startsWith('/')) throw new BadArchiveError(`archive entry "${printable(raw)}" is an absolute path`);
  const name = normalizeEntryName(raw);
  if (name.split('/').includes('..')) throw new BadArchiveError(`archive entry "${printable(raw)}" escapes the archive root`);
  if (header.type === 'directory') {
    if (!ALLOWED_DIRS.has(name)) throw new BadArchiveError(`archive has an unexpected directory "${printable(raw)}"`);
    return null;
  }
  if (header.type !== 'file' && header.type !== 'contiguous-file') {
    throw new BadArchiveError(`archive entry "${printable(raw)}" is a ${header.type}; only regular files are allowed`);
  }
  if (name !== 'index.json' && name !== 'oci-layout' && !BLOB_NAME.test(name)) {
    throw new BadArchiveError(`archive has an unexpected file "${printable(raw)}": expected oci-layout, index.json and blobs/sha256/<digest>`);
  }
  return name;
}

function printable(name: string): string {
  return JSON.stringify(name.slice(0, 200)).slice(1, -1);
}

async function readSmall(entry: AsyncIterable<Buffer>, size: number, name: string): Promise<Buffer> {
  if (size > SMALL_JSON_LIMIT) throw new BadArchiveError(`archive's ${name} is ${size} bytes, more than ${SMALL_JSON_LIMIT}`);
  const chunks: Buffer[] = [];
  for await (const chunk of entry) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/**
 * Bytes handed on at once. Object stores answer over HTTP in 16–64 KiB pieces; written one by one
 * to the registry's socket, they cost the merger more CPU than hashing them (`bench/merge --s3`).
 */
const BATCH_BYTES = 512 * 1024;

/**
 * Yields a blob's bytes while hashing them, in batches of about BATCH_BYTES, holding back the last
 * batch until the digest is checked: a registry never receives the whole of a blob whose content
 * is wrong.
 */
async function* verified(body: AsyncIterable<Buffer>, digest: string, size: number): AsyncGenerator<Buffer> {
  const hash = createHash('sha256');
  let pending: Buffer | undefined;
  let batch: Buffer[] = [];
  let batchBytes = 0;
  let seen = 0;
  for await (const chunk of body) {
    seen += chunk.length;
    // A store answering more than the range asked for must not overrun the upload's length.
    if (seen > size) throw new BadArchiveError(`blob ${digest} in the archive is longer than its ${size} bytes`);
    hash.update(chunk);
    batch.push(chunk);
    batchBytes += chunk.length;
    if (batchBytes < BATCH_BYTES) continue;
    if (pending) yield pending;
    pending = join(batch, batchBytes);
    batch = [];
    batchBytes = 0;
  }
  const actual = `sha256:${hash.digest('hex')}`;
  if (actual !== digest) throw new BadArchiveError(`blob ${digest} in the archive has content with digest ${actual}`);
  if (pending) yield pending;
  if (batchBytes > 0) yield join(batch, batchBytes);
}

const join = (chunks: Buffer[], bytes: number) => (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, bytes));

/**
 * Hands a blob's bytes to `consumer` through a bounded stream, checking the digest on the way;
 * reads the entry to its end whatever the consumer does, so that the scan can go on.
 */
async function passOn(body: AsyncIterable<Buffer>, blob: BlobEntry, consumer: (body: Readable) => void): Promise<void> {
  let wanted: (() => void) | undefined;
  const out = new Readable({
    highWaterMark: STREAM_HIGH_WATER_MARK,
    read() {
      wanted?.();
    },
  });
  const gone = () => out.destroyed || out.readableEnded;
  out.once('close', () => wanted?.());
  consumer(out);
  const push = async (chunk: Buffer) => {
    if (gone() || out.push(chunk)) return;
    await new Promise<void>((resolve) => (wanted = resolve));
    wanted = undefined;
  };
  try {
    for await (const chunk of verified(body, blob.digest, blob.size)) await push(chunk);
  } catch (err) {
    out.destroy(err as Error);
    throw err;
  }
  if (!gone()) out.push(null);
}

/** Writes the source into the tar parser with backpressure, calling `onChunk` for each chunk first. */
async function feed(source: Readable, extract: tar.Extract, onChunk: (chunk: Buffer) => void): Promise<void> {
  for await (const chunk of source) {
    onChunk(chunk as Buffer);
    if (!extract.write(chunk)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          extract.off('drain', done);
          extract.off('close', done);
          resolve();
        };
        extract.on('drain', done);
        extract.on('close', done);
      });
      if (extract.destroyed) return;
    }
  }
  (extract as unknown as { end(): void }).end();
}
