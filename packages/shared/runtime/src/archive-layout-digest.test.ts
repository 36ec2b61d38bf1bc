import { describe, expect, it } from 'vitest';
import { ArchiveLayoutHasher } from './archive-layout-digest.ts';

type Entry = { name: string; type?: string; data?: Buffer };
const BLOB = `blobs/sha256/${'a'.repeat(64)}`;

/** Feeds entries the way both the agent and the merger do: content only where `entry` says so. */
function digestOf(entries: Entry[]): { digest: string; hashedContentOf: string[] } {
  const hasher = new ArchiveLayoutHasher();
  const hashedContentOf: string[] = [];
  for (const e of entries) {
    if (hasher.entry({ name: e.name, type: e.type ?? 'file', size: e.data?.length ?? 0 })) {
      hashedContentOf.push(e.name);
      hasher.content(e.data!);
    }
  }
  return { digest: hasher.digest(), hashedContentOf };
}

const base: Entry[] = [
  { name: 'blobs/', type: 'directory' },
  { name: BLOB, data: Buffer.from('layer bytes') },
  { name: 'index.json', data: Buffer.from('{"manifests":[]}') },
  { name: 'oci-layout', data: Buffer.from('{"imageLayoutVersion": "1.0.0"}') },
];

describe('ArchiveLayoutHasher', () => {
  it("leaves out a blob's content (its name is its digest) and nothing else", () => {
    const { digest, hashedContentOf } = digestOf(base);
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(hashedContentOf).toEqual(['index.json', 'oci-layout']);
    const sameSizeOtherBlob = base.map((e) => (e.name === BLOB ? { ...e, data: Buffer.from('LAYER BYTES') } : e));
    expect(digestOf(sameSizeOtherBlob).digest).toBe(digest);
  });

  it.each([
    ['index.json content', (e: Entry) => (e.name === 'index.json' ? { ...e, data: Buffer.from('{"manifests":[1]}'.slice(0, 16)) } : e)],
    ['a blob name', (e: Entry) => (e.name === BLOB ? { ...e, name: `blobs/sha256/${'b'.repeat(64)}` } : e)],
    ['a blob size', (e: Entry) => (e.name === BLOB ? { ...e, data: Buffer.from('layer bytes!') } : e)],
    ['an entry type', (e: Entry) => (e.name === BLOB ? { ...e, type: 'contiguous-file' } : e)],
  ])('changes with %s', (_what, change) => {
    expect(digestOf(base.map(change)).digest).not.toBe(digestOf(base).digest);
  });

  it('hashes the content of a file under blobs/ that is not named by a digest', () => {
    const { hashedContentOf } = digestOf([{ name: 'blobs/sha256/not-a-digest', data: Buffer.from('x') }]);
    expect(hashedContentOf).toEqual(['blobs/sha256/not-a-digest']);
  });

  it('reads names as the merger does: ./ and doubled slashes do not matter, order does', () => {
    const dotted = base.map((e) => ({ ...e, name: `./${e.name.replace('/', '//')}` }));
    expect(digestOf(dotted).digest).toBe(digestOf(base).digest);
    expect(digestOf([...base].reverse()).digest).not.toBe(digestOf(base).digest);
  });
});
