import { createHash } from 'node:crypto';

const BLOB_NAME = /^blobs\/sha256\/[0-9a-f]{64}$/;

/** A tar entry name as the merger reads it: no empty or `.` segments (`./blobs//x` → `blobs/x`). */
export function normalizeEntryName(raw: string): string {
  return raw
    .split('/')
    .filter((p) => p !== '' && p !== '.')
    .join('/');
}

/**
 * The layout digest of an oci-archive (`BuildResult.archiveLayoutDigest`): sha256 over a listing of
 * its tar entries in order (after a format line) — type, size and name of each, then the content of
 * every entry that is not a blob. A blob's content is left out: its name is its sha256, which the merger checks for
 * every blob it uses. So every byte the merger relies on is verified, and hashed only once.
 *
 * Feed it every entry in order (`entry`), then, for entries where `entry` returned true, their
 * content (`content`).
 */
export class ArchiveLayoutHasher {
  /** The listing's format, first: a change of format reads as one, not as a damaged archive. */
  static readonly FORMAT = 'archway-layout-listing/1';
  private readonly hash = createHash('sha256').update(`${ArchiveLayoutHasher.FORMAT}\n`);

  /** Records an entry; returns whether its content is part of the digest. */
  entry(header: { name: string; type?: string | null; size?: number | null }): boolean {
    const type = header.type ?? 'file';
    const size = header.size ?? 0;
    const name = normalizeEntryName(header.name);
    this.hash.update(`${type} ${size} ${JSON.stringify(name)}\n`);
    return size > 0 && !(BLOB_NAME.test(name) && (type === 'file' || type === 'contiguous-file'));
  }

  content(chunk: Buffer): void {
    this.hash.update(chunk);
  }

  /** `sha256:<hex>`; call once, after the last entry. */
  digest(): string {
    return `sha256:${this.hash.digest('hex')}`;
  }
}
