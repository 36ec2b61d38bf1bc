import { createReadStream } from 'node:fs';
import { posix } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { Readable } from 'node:stream';
import tar from 'tar-stream';

/**
 * Reads a few files of an image's final filesystem straight from its oci-archive: the layers are
 * scanned once each (in archive order, one streaming pass) and applied in manifest order with
 * their whiteouts. No `buildah mount`: that needs privileges a rootless agent lacks, and the layers
 * are exactly what users pull.
 */
export type ImageFile = { type: 'file'; data: Buffer } | { type: 'symlink'; target: string };

/** Paths wanted, relative, no leading slash: exact files, or every file directly under a directory (`dir/`). */
export interface Wanted {
  files: string[];
  dirs: string[];
}

interface LayerScan {
  entries: Map<string, ImageFile>;
  whiteouts: string[];
  opaque: string[];
}

const MAX_FILE = 64 * 1024 * 1024;

export class UnreadableLayerError extends Error {}

export async function readImageFiles(archivePath: string, wanted: Wanted): Promise<Map<string, ImageFile>> {
  const json = new Map<string, Buffer>();
  const layers = new Map<string, LayerScan>();
  let index: Buffer | undefined;
  const extract = tar.extract();
  extract.on('entry', (header, stream, next) => {
    const name = header.name.replace(/^\.\//, '');
    const blob = /^blobs\/sha256\/([0-9a-f]{64})$/.exec(name);
    const done = (err?: unknown) => next(err as Error | undefined);
    if (header.type !== 'file' || (!blob && name !== 'index.json')) {
      stream.resume();
      stream.on('end', () => done());
      return;
    }
    void classify(stream as unknown as AsyncIterable<Buffer>)
      .then(async ({ kind, body }) => {
        if (kind === 'json') {
          const data = await collect(body);
          if (name === 'index.json') index = data;
          else json.set(`sha256:${blob![1]}`, data);
        } else if (kind === 'gzip' || kind === 'tar') {
          layers.set(`sha256:${blob![1]}`, await scanLayer(kind === 'gzip' ? body.pipe(createGunzip({ chunkSize: 256 * 1024 })) : body, wanted));
        } else {
          for await (const _ of body);
        }
      }, done)
      .then(() => done(), done);
  });
  await pipeline(createReadStream(archivePath, { highWaterMark: 1024 * 1024 }), extract);

  if (!index) throw new UnreadableLayerError('the archive has no index.json');
  const manifestDigest = (JSON.parse(index.toString('utf8')).manifests?.[0]?.digest ?? '') as string;
  const manifest = JSON.parse(json.get(manifestDigest)?.toString('utf8') ?? 'null') as { layers?: { digest: string }[] } | null;
  if (!manifest?.layers) throw new UnreadableLayerError(`the archive lacks manifest ${manifestDigest}`);
  const fs = new Map<string, ImageFile>();
  for (const { digest } of manifest.layers) {
    const layer = layers.get(digest);
    if (!layer) throw new UnreadableLayerError(`layer ${digest} is not a tar or gzip tar (zstd is not read)`);
    const drop = (prefix: string, self: boolean) => {
      for (const k of fs.keys()) if ((self && k === prefix) || k.startsWith(`${prefix}/`)) fs.delete(k);
    };
    for (const dir of layer.opaque) drop(dir, false);
    for (const path of layer.whiteouts) drop(path, true);
    for (const [k, v] of layer.entries) fs.set(k, v);
  }
  return fs;
}

/** Follows symlinks (up to 8) of a wanted path inside the image's own filesystem. */
export function resolveFile(fs: Map<string, ImageFile>, path: string): Buffer | undefined {
  let p = path;
  for (let i = 0; i < 8; i++) {
    const f = fs.get(p);
    if (!f) return undefined;
    if (f.type === 'file') return f.data;
    p = posix.normalize(f.target.startsWith('/') ? f.target.slice(1) : posix.join(posix.dirname(p), f.target));
  }
  return undefined;
}

async function scanLayer(body: Readable, wanted: Wanted): Promise<LayerScan> {
  const scan: LayerScan = { entries: new Map(), whiteouts: [], opaque: [] };
  const isWanted = (p: string) => wanted.files.includes(p) || wanted.dirs.some((d) => p.startsWith(d) && !p.slice(d.length).includes('/'));
  const links: [string, string][] = [];
  const extract = tar.extract();
  extract.on('entry', (header, stream, next) => {
    const path = posix.normalize(header.name.replace(/^\.?\//, '')).replace(/\/$/, '');
    const base = posix.basename(path);
    const dir = posix.dirname(path);
    const inDir = dir === '.' ? '' : `${dir}/`;
    if (base === '.wh..wh..opq') scan.opaque.push(dir);
    else if (base.startsWith('.wh.')) scan.whiteouts.push(`${inDir}${base.slice(4)}`);
    else if (isWanted(path) && header.type === 'symlink' && header.linkname) scan.entries.set(path, { type: 'symlink', target: header.linkname });
    else if (isWanted(path) && header.type === 'link' && header.linkname) links.push([path, header.linkname.replace(/^\.?\//, '')]);
    else if (isWanted(path) && header.type === 'file' && (header.size ?? 0) <= MAX_FILE) {
      void collect(stream).then((data) => {
        scan.entries.set(path, { type: 'file', data });
        next();
      }, next);
      return;
    }
    stream.resume();
    stream.on('end', () => next());
  });
  await pipeline(body, extract);
  // A hard link inside the layer names a file of the same layer; it is read as that file.
  for (const [path, target] of links) {
    const f = scan.entries.get(target);
    if (f) scan.entries.set(path, f);
  }
  return scan;
}

/** Looks at a blob's first bytes: JSON (manifest, config), gzip or plain tar (layers), or other. */
async function classify(entry: AsyncIterable<Buffer>): Promise<{ kind: 'json' | 'gzip' | 'tar' | 'other'; body: Readable }> {
  // tar-stream's entries are streamx streams: peek through their async iterator, not read()/unshift().
  const it = entry[Symbol.asyncIterator]();
  const first = await it.next();
  const head = first.done ? undefined : first.value;
  async function* all() {
    if (head) yield head;
    for (let n = await it.next(); !n.done; n = await it.next()) yield n.value;
  }
  const body = Readable.from(all(), { objectMode: false });
  if (!head) return { kind: 'other', body };
  if (head[0] === 0x7b) return { kind: 'json', body };
  if (head[0] === 0x1f && head[1] === 0x8b) return { kind: 'gzip', body };
  if (head.length >= 262 && head.subarray(257, 262).toString('latin1') === 'ustar') return { kind: 'tar', body };
  return { kind: 'other', body };
}

async function collect(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}
