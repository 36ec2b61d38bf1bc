import { Readable } from 'node:stream';
import { imageDestinations, parseImageName, type BuildResult, type ImageName, type PublishJob } from '@archway/contract';
import type { ObjectStore } from '@archway/runtime';
import { FinalPublishError } from './errors.ts';
import type { RegistryClient, RegistryPool } from './registry/index.ts';
import { OCI_INDEX } from './oci.ts';
import { pushPlatform, type Limiter, type PlatformImage } from './push-platform.ts';

/** One reference a build's index is published to, with its registry client. */
export interface Destination extends ImageName {
  ref: string;
  client: RegistryClient;
}

/** The build's image and its push targets, parsed; each gets the client of its own credentials. */
export async function openDestinations(job: PublishJob, registries: RegistryPool): Promise<Destination[]> {
  if (!job.image) throw new FinalPublishError('the build asks to push but names no image');
  const out: Destination[] = [];
  for (const ref of imageDestinations(job.image, job.targets)) {
    let name: ImageName;
    try {
      name = parseImageName(ref);
    } catch (err) {
      throw new FinalPublishError((err as Error).message);
    }
    out.push({ ref, ...name, client: await registries.client(name.registry, name.repository) });
  }
  return out;
}

export interface CopyInput {
  store: ObjectStore;
  results: BuildResult[];
  index: { digest: string; body: Buffer };
  signal: AbortSignal;
  blobConcurrency: Limiter;
  /** Where the index is already (named when this target fails). */
  published: string[];
  /** The publish job: platform manifests are annotated from it exactly as for the image (same digests). */
  job: PublishJob;
  /** What else the image got (attestation manifests in the index, the signature), copied from it. */
  copy: { primary: Destination; images: PlatformImage[]; signatureTag?: string | undefined };
}

/**
 * Publishes the build's platforms and its index (by digest, no tag) to one more target. The
 * archives are read again from the object store: registries cannot mount across each other.
 */
export async function publishToTarget(target: Destination, input: CopyInput): Promise<void> {
  try {
    await target.client.ping(target.repository);
    await Promise.all(
      input.results.map((result) =>
        pushPlatform({
          store: input.store,
          client: target.client,
          repository: target.repository,
          result,
          signal: input.signal,
          blobConcurrency: input.blobConcurrency,
          job: input.job,
        }),
      ),
    );
    // The index also lists attestation manifests (docs/supply-chain.md): the target needs them first.
    const own = new Set(input.copy.images.map((i) => i.digest));
    const entries = (JSON.parse(input.index.body.toString('utf8')) as { manifests: { digest: string }[] }).manifests;
    for (const m of entries) if (!own.has(m.digest)) await copyManifest(input.copy.primary, target, m.digest);
    await target.client.putManifest(target.repository, input.index.digest, OCI_INDEX, input.index.body);
    // The signature is cosign's `sha256-<index>.sig` manifest; its payload names the first image.
    if (input.copy.signatureTag) await copyManifest(input.copy.primary, target, input.copy.signatureTag);
  } catch (err) {
    throw annotate(
      err,
      `push target ${target.ref}: `,
      ` (index ${input.index.digest} already published to ${input.published.join(', ')}; no tag moved anywhere)`,
    );
  }
}

/** Tags go last, target after target; a refusal names the target and every tag that moved where. */
export async function tagEverywhere(destinations: Destination[], tags: string[], index: { digest: string; body: Buffer }): Promise<void> {
  const moved: string[] = [];
  for (const d of destinations) {
    for (const tag of tags) {
      try {
        await d.client.putManifest(d.repository, tag, OCI_INDEX, index.body);
      } catch (err) {
        // A registry that refuses one tag (e.g. an immutable one) after others moved: say which did.
        const where = destinations.length > 1 ? `push target ${d.ref}: ` : '';
        throw annotate(err, where, moved.length ? ` (tags already moved to ${index.digest}: ${moved.join(', ')})` : '');
      }
      moved.push(destinations.length > 1 ? `${d.ref}:${tag}` : tag);
    }
  }
}

/** Copies one small manifest (attestations, a signature) and its blobs from the image to a target. */
async function copyManifest(from: Destination, to: Destination, reference: string): Promise<void> {
  const m = await from.client.getManifest(from.repository, reference);
  if (!m) throw new FinalPublishError(`${reference} is missing in ${from.ref}, cannot copy it to ${to.ref}`);
  const doc = JSON.parse(m.body.toString('utf8')) as { config?: Blob; layers?: Blob[] };
  for (const blob of [doc.config, ...(doc.layers ?? [])]) {
    if (!blob || (await to.client.blobExists(to.repository, blob.digest))) continue;
    const bytes = await from.client.getBlob(from.repository, blob.digest);
    await to.client.uploadBlob(to.repository, { digest: blob.digest, size: blob.size, source: async () => Readable.from([bytes]) });
  }
  await to.client.putManifest(to.repository, reference, m.mediaType, m.body);
}

interface Blob {
  digest: string;
  size: number;
}

function annotate(err: unknown, prefix: string, suffix: string): unknown {
  if (err instanceof Error) err.message = `${prefix}${err.message}${suffix}`;
  return err;
}
