import { setTimeout as delay } from 'node:timers/promises';
import { formatPlatform, parsePlatform, samePlatform, type BuildResult, type Platform } from '@archway/shared';
import { ObjectNotFoundError, type ObjectStore } from '@archway/shared/node';
import { RegistryError, type RegistryClient } from '../registry/index.ts';
import { readArchive, type ArchiveContents } from './archive-reader.ts';
import { BadArchiveError } from './errors.ts';
import { ImageConfig, ImageManifest, OCI_MANIFEST, OciIndex, parseJson } from './oci.ts';

/** A platform's image, pushed by digest and ready to go into the index. */
export interface PlatformImage {
  taskId: string;
  platform: Platform;
  mediaType: string;
  digest: string;
  size: number;
}

export interface PushPlatformInput {
  store: ObjectStore;
  client: RegistryClient;
  repository: string;
  result: BuildResult;
  /** Aborting stops reading the archive (another platform failed). */
  signal?: AbortSignal;
  /** Whole passes over the archive after a retryable registry error. Default 2. */
  passRetries?: number;
}

/**
 * Pushes one platform's blobs and its manifest (by digest, never by tag). Needs nothing from the
 * other platforms, so it can run as soon as that platform's task is built.
 */
export async function pushPlatform(input: PushPlatformInput): Promise<PlatformImage> {
  const { client, repository, result } = input;
  const platform = parsePlatform(result.platform);
  const contents = await uploadArchiveBlobs(input);

  const index = parseJson(OciIndex, contents.index, 'index.json');
  if (index.manifests.length !== 1) {
    throw new BadArchiveError(`index.json of the ${result.platform} archive lists ${index.manifests.length} manifests, expected 1`);
  }
  const desc = index.manifests[0]!;
  if (desc.mediaType !== OCI_MANIFEST) throw new BadArchiveError(`the ${result.platform} archive holds a ${desc.mediaType}, expected an OCI image manifest`);
  const manifestBytes = smallBlob(contents, desc.digest, desc.size, 'manifest');
  const manifest = parseJson(ImageManifest, manifestBytes, `manifest ${desc.digest}`);
  const config = parseJson(ImageConfig, smallBlob(contents, manifest.config.digest, manifest.config.size, 'config'), `config ${manifest.config.digest}`);
  const found: Platform = config.variant ? { os: config.os, architecture: config.architecture, variant: config.variant } : { os: config.os, architecture: config.architecture };
  if (!platformMatches(found, platform)) {
    throw new BadArchiveError(`archive for ${formatPlatform(platform)} contains an image for ${formatPlatform(found)}`);
  }
  for (const blob of [manifest.config, ...manifest.layers]) {
    const size = contents.blobs.get(blob.digest);
    if (size !== undefined && size !== blob.size) {
      throw new BadArchiveError(`manifest says blob ${blob.digest} has ${blob.size} bytes, the archive has ${size}`);
    }
    if (size === undefined && !(await client.blobExists(repository, blob.digest))) {
      throw new BadArchiveError(`manifest references blob ${blob.digest}, which is neither in the ${result.platform} archive nor in ${client.registry}/${repository}`);
    }
  }
  const digest = await client.putManifest(repository, desc.digest, OCI_MANIFEST, manifestBytes);
  return { taskId: result.taskId, platform, mediaType: OCI_MANIFEST, digest, size: manifestBytes.length };
}

/** One streaming pass: every blob goes to the registry unless it is there already. */
async function uploadArchiveBlobs(input: PushPlatformInput): Promise<ArchiveContents> {
  const { store, client, repository, result, signal } = input;
  const passRetries = input.passRetries ?? 2;
  await client.ping(repository);
  for (let pass = 0; ; pass++) {
    signal?.throwIfAborted();
    let source;
    try {
      source = await store.get(result.archiveKey);
    } catch (err) {
      if (err instanceof ObjectNotFoundError) throw new BadArchiveError(`archive ${result.archiveKey} of ${result.platform} is missing from the object store`);
      throw err;
    }
    const abort = () => source.destroy(new Error(`publishing ${result.platform} was aborted`));
    signal?.addEventListener('abort', abort, { once: true });
    try {
      return await readArchive(source, {
        expectedSize: result.archiveSize,
        expectedDigest: result.archiveDigest,
        onBlob: async (blob) => {
          if (await client.blobExists(repository, blob.digest)) {
            blob.stream.resume();
            return;
          }
          await client.uploadBlob(repository, { digest: blob.digest, size: blob.size, source: blob.stream });
        },
      });
    } catch (err) {
      signal?.throwIfAborted();
      // Blobs uploaded so far are found by HEAD on the next pass.
      if (!(err instanceof RegistryError && err.retryable) || pass >= passRetries) throw err;
      await delay(1000 * 2 ** pass);
    } finally {
      signal?.removeEventListener('abort', abort);
    }
  }
}

function smallBlob(contents: ArchiveContents, digest: string, size: number, what: string): Buffer {
  const data = contents.json.get(digest);
  if (!data) {
    const inArchive = contents.blobs.has(digest);
    throw new BadArchiveError(`${what} ${digest} is ${inArchive ? 'not a small JSON document' : 'missing from the archive'}`);
  }
  if (data.length !== size) throw new BadArchiveError(`${what} ${digest} has ${data.length} bytes, its descriptor says ${size}`);
  return data;
}

/** Compares canonically (`arm64/v8` is `arm64`); a platform we cannot parse never matches. */
function platformMatches(found: Platform, expected: Platform): boolean {
  try {
    return samePlatform(found, expected);
  } catch {
    return false;
  }
}
