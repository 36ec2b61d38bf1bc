import { imageDestinations, parseImageName, type BuildResult, type ImageName, type PublishJob } from '@archway/contract';
import type { ObjectStore } from '@archway/runtime';
import { FinalPublishError } from './errors.ts';
import type { RegistryClient, RegistryPool } from './registry/index.ts';
import { OCI_INDEX } from './oci.ts';
import { pushPlatform, type Limiter } from './push-platform.ts';

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
        }),
      ),
    );
    await target.client.putManifest(target.repository, input.index.digest, OCI_INDEX, input.index.body);
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

function annotate(err: unknown, prefix: string, suffix: string): unknown {
  if (err instanceof Error) err.message = `${prefix}${err.message}${suffix}`;
  return err;
}
