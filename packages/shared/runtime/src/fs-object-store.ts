import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { randomUUID } from 'node:crypto';
import { linkOrCopy } from './link-or-copy.ts';
import { checkObjectKey, digestingStream, ObjectNotFoundError, type ByteRange, type ObjectStore, type PutResult, type StoredObject } from './object-store.ts';

/** The embedded default: a directory. Writes go to a temp file and are renamed into place. */
export class FsObjectStore implements ObjectStore {
  constructor(readonly root: string) {}

  private path(key: string): string {
    checkObjectKey(key);
    return join(this.root, ...key.split('/'));
  }

  /** `write` fills a temp file next to the key's path, renamed into place only when it succeeded. */
  private async writeAtomically(key: string, write: (tmp: string) => Promise<void>): Promise<void> {
    const target = this.path(key);
    await mkdir(dirname(target), { recursive: true });
    const tmp = `${target}.${randomUUID()}.partial`;
    try {
      await write(tmp);
      await rename(tmp, target);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }

  async put(key: string, body: Readable): Promise<PutResult> {
    const digest = digestingStream();
    await this.writeAtomically(key, (tmp) => pipeline(body, digest, createWriteStream(tmp)));
    return digest.result();
  }

  /**
   * A hard link when the file is on the store's filesystem (the embedded setup: the agent's work
   * dir and the store share a disk), else a copy (a reflink where the filesystem can): the bytes
   * are read once, to hash them, instead of read and written again.
   */
  async putFile(key: string, path: string, opts: { signal?: AbortSignal } = {}): Promise<PutResult> {
    this.path(key); // a bad key fails before the file is read
    const digest = digestingStream();
    await pipeline(createReadStream(path, { highWaterMark: 1024 * 1024, ...(opts.signal ? { signal: opts.signal } : {}) }), digest, async (chunks) => {
      for await (const _ of chunks);
    });
    await this.writeAtomically(key, (tmp) => linkOrCopy(path, tmp));
    return digest.result();
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    const p = this.path(key);
    try {
      const s = await stat(p);
      if (!s.isFile()) throw new ObjectNotFoundError(key);
    } catch (err) {
      if (err instanceof ObjectNotFoundError || (err as NodeJS.ErrnoException).code === 'ENOENT') throw new ObjectNotFoundError(key);
      throw err;
    }
    // 1 MiB reads: with the default 64 KiB, a thread-pool round trip per read slows archive streaming.
    return createReadStream(p, { highWaterMark: 1024 * 1024, ...(range ? { start: range.start, end: range.end } : {}) });
  }

  async head(key: string): Promise<StoredObject | null> {
    try {
      const s = await stat(this.path(key));
      return s.isFile() ? { key, size: s.size, lastModified: s.mtime } : null;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.path(key), { force: true });
  }

  async *list(prefix: string): AsyncIterable<StoredObject> {
    const walk = async function* (dir: string, root: string): AsyncIterable<StoredObject> {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw err;
      }
      for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
        const full = join(dir, e.name);
        if (e.isDirectory()) yield* walk(full, root);
        else if (e.isFile() && !e.name.endsWith('.partial')) {
          const s = await stat(full);
          yield { key: relative(root, full).split(sep).join('/'), size: s.size, lastModified: s.mtime };
        }
      }
    };
    for await (const obj of walk(this.root, this.root)) {
      if (obj.key.startsWith(prefix)) yield obj;
    }
  }
}
