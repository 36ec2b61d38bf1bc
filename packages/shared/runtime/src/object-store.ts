// The store interface and the helpers both stores use; each store lives in its own file
// (fs-object-store.ts, s3-object-store.ts) and create-object-store.ts picks one from a URL.
import { createHash } from 'node:crypto';
import { Readable, Transform } from 'node:stream';

export interface StoredObject {
  key: string;
  size: number;
  lastModified: Date;
}

export interface PutResult {
  size: number;
  /** `sha256:<hex>` of the bytes stored, computed while streaming. */
  digest: string;
}

/**
 * Where archives and logs travel between agents and the merger. Everything streams:
 * implementations must never hold a whole object in memory.
 */
export interface ObjectStore {
  put(key: string, body: Readable, opts?: { contentLength?: number }): Promise<PutResult>;
  /** Stores a local file (an agent's archive or log); the file must not change meanwhile. */
  putFile(key: string, path: string, opts?: { signal?: AbortSignal }): Promise<PutResult>;
  /**
   * Throws ObjectNotFoundError when the key does not exist. `range`: only bytes start..end
   * (inclusive, like HTTP Range), e.g. one blob of an archive read again on its own.
   */
  get(key: string, range?: ByteRange): Promise<Readable>;
  head(key: string): Promise<StoredObject | null>;
  delete(key: string): Promise<void>;
  list(prefix: string): AsyncIterable<StoredObject>;
}

/** Inclusive byte range of an object. */
export interface ByteRange {
  start: number;
  end: number;
}

export class ObjectNotFoundError extends Error {
  constructor(readonly key: string) {
    super(`object ${key} not found in the object store`);
  }
}

/** Rejects keys that could escape the store's root. */
export function checkObjectKey(key: string): void {
  if (!key || key.startsWith('/') || key.split('/').some((p) => p === '..' || p === '' || p === '.') || key.includes('\0')) {
    throw new Error(`invalid object key "${key}"`);
  }
}

/** Hashes and counts bytes as they pass. */
export function digestingStream(): Transform & { result(): PutResult } {
  const hash = createHash('sha256');
  let size = 0;
  const t = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      size += chunk.length;
      cb(null, chunk);
    },
  }) as Transform & { result(): PutResult };
  t.result = () => ({ size, digest: `sha256:${hash.digest('hex')}` });
  return t;
}

export function readableFrom(data: string | Buffer): Readable {
  return Readable.from([typeof data === 'string' ? Buffer.from(data) : data]);
}
