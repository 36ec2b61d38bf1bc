import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { BaseImage, type PlatformParts } from '@archway/contract';
import { ArchiveLayoutHasher } from '@archway/runtime';

/** Manifests and configs are small JSON; layers (gzip/tar) are skipped without being held. */
const MAX_JSON_BLOB = 4 * 1024 * 1024;

export interface ArchiveImage {
  manifestDigest: string;
  configDigest: string;
  platform: PlatformParts;
  layers: number;
  /** BuildResult.archiveLayoutDigest: what the merger checks the archive against. */
  layoutDigest: string;
  /** The final stage's base image, from the annotations buildah writes (none for `FROM scratch`). */
  baseImages: BaseImage[];
}

const BASE_NAME = 'org.opencontainers.image.base.name';
const BASE_DIGEST = 'org.opencontainers.image.base.digest';

/** buildah annotates what the final stage's FROM pulled; a FROM pinned by digest (or scratch) has nothing to watch. */
function baseImagesOf(manifest: Record<string, unknown>): BaseImage[] {
  const annotations = (manifest.annotations ?? {}) as Record<string, unknown>;
  const parsed = BaseImage.safeParse({ reference: annotations[BASE_NAME], digest: annotations[BASE_DIGEST] });
  return parsed.success && !parsed.data.reference.includes('@') ? [parsed.data] : [];
}

interface Descriptor {
  mediaType?: string;
  digest: string;
  size?: number;
}

/**
 * Reads an oci-archive (an OCI layout in a tar, as `buildah push oci-archive:` writes it) in one
 * streaming pass and returns its single image's manifest digest and platform from the config, and
 * the archive's layout digest. buildah writes blobs before index.json, so small JSON blobs are
 * kept until the end.
 */
export async function readArchiveImage(path: string): Promise<ArchiveImage> {
  const json = new Map<string, Buffer>();
  let index: Buffer | undefined;
  const layout = new ArchiveLayoutHasher();
  const extract = tar.extract();
  extract.on('entry', (header, stream, next) => {
    const hashContent = layout.entry(header);
    const name = header.name.replace(/^\.\//, '');
    const blob = /^blobs\/sha256\/([0-9a-f]{64})$/.exec(name);
    const wanted = header.type === 'file' && (name === 'index.json' || (blob && (header.size ?? 0) <= MAX_JSON_BLOB));
    if (!wanted && !hashContent) {
      stream.on('end', () => next());
      stream.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let looksJson: boolean | undefined;
    stream.on('data', (chunk: unknown) => {
      const c = chunk as Buffer;
      if (hashContent) layout.content(c);
      if (!wanted) return;
      looksJson ??= c[0] === 0x7b; // '{'
      if (looksJson) chunks.push(c);
    });
    stream.on('end', () => {
      if (wanted && looksJson !== false) {
        const data = Buffer.concat(chunks);
        if (name === 'index.json') index = data;
        else json.set(`sha256:${blob![1]}`, data);
      }
      next();
    });
    stream.on('error', next);
  });
  await pipeline(createReadStream(path, { highWaterMark: 1024 * 1024 }), extract);

  if (!index) throw new Error('the archive has no index.json: not an OCI layout');
  const parse = (what: string, data: Buffer | undefined) => {
    if (!data) throw new Error(`the archive lacks the ${what}`);
    return JSON.parse(data.toString('utf8')) as Record<string, unknown>;
  };
  const manifests = (parse('index', index).manifests ?? []) as Descriptor[];
  if (manifests.length !== 1) throw new Error(`the archive index lists ${manifests.length} manifests, expected 1`);
  const manifestDigest = manifests[0]!.digest;
  const manifest = parse(`manifest ${manifestDigest}`, json.get(manifestDigest));
  const configDesc = manifest.config as Descriptor | undefined;
  if (!configDesc?.digest) throw new Error(`manifest ${manifestDigest} has no config`);
  const config = parse(`config ${configDesc.digest}`, json.get(configDesc.digest));
  const platform: PlatformParts = { os: String(config.os ?? ''), architecture: String(config.architecture ?? '') };
  if (typeof config.variant === 'string' && config.variant) platform.variant = config.variant;
  return {
    manifestDigest,
    configDigest: configDesc.digest,
    platform,
    layers: ((manifest.layers ?? []) as unknown[]).length,
    layoutDigest: layout.digest(),
    baseImages: baseImagesOf(manifest),
  };
}
