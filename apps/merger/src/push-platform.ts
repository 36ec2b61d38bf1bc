import { Readable } from 'node:stream';
import { describeImagePlatform, platformOfImage, type BuildResult, type Platform, type PlatformParts, type PublishJob } from '@archway/contract';
import { annotateManifest, sha256 } from './attestations/annotations.ts';
import { ObjectNotFoundError, type ObjectStore } from '@archway/runtime';
import { RegistryError, type RegistryClient } from './registry/index.ts';
import { scanArchive, verifiedStream, type ArchiveContents, type BlobEntry } from './archive-reader.ts';
import { BadArchiveError } from './errors.ts';
import { ImageConfig, ImageManifest, OCI_MANIFEST, OciIndex, parseJson } from './oci.ts';

/** A platform's image, pushed by digest and ready to go into the index. */
export interface PlatformImage {
  taskId: string;
  platform: Platform;
  mediaType: string;
  digest: string;
  size: number;
  /** The annotations Archway published on it (docs/supply-chain.md); absent for a job without supply. */
  annotations?: Record<string, string>;
  /** The image config's `created`. */
  created?: string;
}

export interface PushPlatformInput {
  store: ObjectStore;
  client: RegistryClient;
  repository: string;
  result: BuildResult;
  /** Aborting stops reading the archive and uploading (another platform failed). */
  signal?: AbortSignal;
  /** Blobs uploaded at once, or a limiter shared with other platforms of the build. Default 4. */
  blobConcurrency?: number | Limiter;
  /** The publish job: with its `supply`, the manifest gets Archway's OCI annotations (a new digest). */
  job?: Pick<PublishJob, 'tags' | 'supply' | 'buildId'>;
}

/**
 * Pushes one platform's blobs and its manifest (by digest, never by tag). Needs nothing from the
 * other platforms, so it can run as soon as that platform's task is built.
 */
export async function pushPlatform(input: PushPlatformInput): Promise<PlatformImage> {
  const { client, repository, result } = input;
  const platform = result.platform;
  const contents = await uploadArchiveBlobs(input);

  const index = parseJson(OciIndex, contents.index, 'index.json');
  if (index.manifests.length !== 1) {
    throw new BadArchiveError(`index.json of the ${result.platform} archive lists ${index.manifests.length} manifests, expected 1`);
  }
  const desc = index.manifests[0]!;
  if (desc.mediaType !== OCI_MANIFEST) throw new BadArchiveError(`the ${result.platform} archive holds a ${desc.mediaType}, expected an OCI image manifest`);
  const manifestBytes = smallBlob(contents, desc.digest, desc.size, 'manifest');
  const manifest = parseJson(ImageManifest, manifestBytes, `manifest ${desc.digest}`);
  const configBytes = smallBlob(contents, manifest.config.digest, manifest.config.size, 'config');
  const config = parseJson(ImageConfig, configBytes, `config ${manifest.config.digest}`);
  const found: PlatformParts = config.variant
    ? { os: config.os, architecture: config.architecture, variant: config.variant }
    : { os: config.os, architecture: config.architecture };
  // Compared canonically (`arm64/v8` is `arm64`); a platform Archway cannot name never matches.
  if (platformOfImage(found) !== platform) {
    throw new BadArchiveError(`archive for ${platform} contains an image for ${describeImagePlatform(found)}`);
  }
  for (const blob of [manifest.config, ...manifest.layers]) {
    const size = contents.blobs.get(blob.digest);
    if (size !== undefined && size !== blob.size) {
      throw new BadArchiveError(`manifest says blob ${blob.digest} has ${blob.size} bytes, the archive has ${size}`);
    }
    if (size === undefined && !(await client.blobExists(repository, blob.digest))) {
      throw new BadArchiveError(
        `manifest references blob ${blob.digest}, which is neither in the ${result.platform} archive nor in ${client.registry}/${repository}`,
      );
    }
  }
  if (input.job?.supply) {
    const annotated = annotateManifest(manifestBytes, configBytes, input.job, input.job.supply);
    const digest = await client.putManifest(repository, sha256(annotated.body), OCI_MANIFEST, annotated.body);
    const annotations = (JSON.parse(annotated.body.toString('utf8')) as { annotations: Record<string, string> }).annotations;
    return {
      taskId: result.taskId,
      platform,
      mediaType: OCI_MANIFEST,
      digest,
      size: annotated.body.length,
      annotations,
      ...(annotated.created ? { created: annotated.created } : {}),
    };
  }
  const digest = await client.putManifest(repository, desc.digest, OCI_MANIFEST, manifestBytes);
  return { taskId: result.taskId, platform, mediaType: OCI_MANIFEST, digest, size: manifestBytes.length };
}

/**
 * One streaming scan of the archive, with every blob the registry lacks (HEAD) uploaded as the
 * scan reaches it, `blobConcurrency` at a time (a limit shared with the build's other platforms).
 * A large blob goes to the registry straight from the scan, hashed on the way: each byte is read
 * and hashed once. (Reading it again by range, to upload several at once, cost more CPU than it
 * saved in `bench/merge`, where the registry's own hashing already keeps both cores busy; from S3
 * it is a second download.) Small blobs are read again by range. A streamed upload failing with a retryable error is read again by range and
 * retried. The first other failure stops the scan and the other uploads.
 */
async function uploadArchiveBlobs(input: PushPlatformInput): Promise<ArchiveContents> {
  const { store, client, repository, result } = input;
  await client.ping(repository);
  input.signal?.throwIfAborted();
  const source = await openArchive(store, result);
  const controller = new AbortController();
  let failure: { err: unknown } | undefined;
  const fail = (err: unknown) => {
    failure ??= { err };
    controller.abort();
    source.destroy();
  };
  const stop = () => fail(input.signal?.reason ?? new Error(`publishing ${result.platform} was aborted`));
  input.signal?.addEventListener('abort', stop, { once: true });

  const limit = typeof input.blobConcurrency === 'function' ? input.blobConcurrency : limiter(input.blobConcurrency ?? 4);
  const seen = new Set<string>();
  const uploads: Promise<void>[] = [];
  const abortable = (body: Readable) => {
    const abort = () => body.destroy(new Error(`publishing ${result.platform} was aborted`));
    controller.signal.addEventListener('abort', abort, { once: true });
    body.once('close', () => controller.signal.removeEventListener('abort', abort));
    return body;
  };
  const upload = async (blob: BlobEntry) => {
    if (controller.signal.aborted || (await client.blobExists(repository, blob.digest))) return;
    const open = async () => {
      controller.signal.throwIfAborted();
      const raw = blob.size === 0 ? Readable.from([]) : await store.get(result.archiveKey, { start: blob.offset, end: blob.offset + blob.size - 1 });
      const body = verifiedStream(raw, blob.digest, blob.size);
      // Its errors reach us through the upload (the transport reports `body.errored`).
      body.on('error', () => {});
      return abortable(body);
    };
    await client.uploadBlob(repository, { digest: blob.digest, size: blob.size, source: open });
  };
  /** A large blob's bytes straight from the scan; a retryable failure falls back to `upload`. */
  const uploadStreamed = async (blob: BlobEntry, body: Readable) => {
    body.on('error', () => {});
    try {
      await limit(() => client.uploadBlob(repository, { digest: blob.digest, size: blob.size, source: abortable(body) }));
      return;
    } catch (err) {
      if (!(err instanceof RegistryError && err.retryable) || controller.signal.aborted) throw err;
    } finally {
      // The scan waits on this stream while it is open: never leave it hanging.
      body.destroy();
    }
    await limit(() => upload(blob));
  };
  try {
    const contents = await scanArchive(source, {
      expectedSize: result.archiveSize,
      expectedDigest: result.archiveDigest,
      ...(result.archiveLayoutDigest ? { expectedLayoutDigest: result.archiveLayoutDigest } : {}),
      onBlob: (blob) => {
        if (seen.has(blob.digest)) return;
        seen.add(blob.digest);
        uploads.push(limit(() => upload(blob)).catch(fail));
      },
      streamBlob: async (blob) => {
        if (seen.has(blob.digest) || controller.signal.aborted) return undefined;
        seen.add(blob.digest);
        if (await client.blobExists(repository, blob.digest)) return undefined;
        return (body) => void uploads.push(uploadStreamed(blob, body).catch(fail));
      },
    }).catch((err) => {
      fail(err);
      return null;
    });
    await Promise.all(uploads);
    if (failure) throw failure.err;
    return contents!;
  } finally {
    input.signal?.removeEventListener('abort', stop);
  }
}

async function openArchive(store: ObjectStore, result: BuildResult): Promise<Readable> {
  try {
    return await store.get(result.archiveKey);
  } catch (err) {
    if (err instanceof ObjectNotFoundError) throw new BadArchiveError(`archive ${result.archiveKey} of ${result.platform} is missing from the object store`);
    throw err;
  }
}

export type Limiter = <T>(task: () => Promise<T>) => Promise<T>;

/** Runs at most `n` of the given tasks at once. */
export function limiter(n: number): Limiter {
  let active = 0;
  const waiting: (() => void)[] = [];
  const run = async <T>(task: () => Promise<T>): Promise<T> => {
    if (active >= n) await new Promise<void>((resolve) => waiting.push(resolve));
    active++;
    try {
      return await task();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
  return run;
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
