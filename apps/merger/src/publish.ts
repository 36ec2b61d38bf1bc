import type { BuildResult, Platform, PublishJob, SupplyChain } from '@archway/contract';
import type { ObjectStore } from '@archway/runtime';
import type { RegistryPool } from './registry/index.ts';
import { FinalPublishError } from './errors.ts';
import { OCI_INDEX } from './oci.ts';
import { openDestinations, publishToTarget, tagEverywhere, type Destination } from './publish-targets.ts';
import type { PlatformGuard } from './early-push/guard.ts';
import { limiter, pushPlatform, type PlatformImage } from './push-platform.ts';
import { supplyChainStep } from './attestations/publish-supply.ts';
import type { SigningKey } from './signing/key.ts';

export interface PublishHooks {
  /** Called around each platform's push, e.g. to emit phase events; `again` after a failed early push. */
  platformStarted?(platform: Platform, again: boolean): Promise<void> | void;
  platformEnded?(platform: Platform, again: boolean): Promise<void> | void;
  indexStarted?(): Promise<void> | void;
  indexEnded?(): Promise<void> | void;
  /** Last chance to stop before any tag moves (e.g. the build was canceled): throw to stop. */
  beforeTags?(): Promise<void> | void;
  /** Around the copy of platforms and index to each push target (after the image's own). */
  targetStarted?(ref: string): Promise<void> | void;
  targetEnded?(ref: string): Promise<void> | void;
}

export interface PublishInput {
  store: ObjectStore;
  registries: RegistryPool;
  job: PublishJob;
  results: BuildResult[];
  /** Platforms pushed at once. Default 2. */
  concurrency?: number;
  /** Blob uploads at once, all platforms of the build together. Default 4. */
  blobConcurrency?: number;
  /** Platforms already pushed (pipelining); they are not read again. */
  pushed?: ReadonlyMap<Platform, PlatformImage>;
  /** Coordinates with early pushes (pipelining across replicas); without it every platform is pushed here. */
  guard?: PlatformGuard;
  hooks?: PublishHooks;
  /** Signs the index (cosign's format) when the job's supply allows it. */
  signingKey?: SigningKey | undefined;
}

export interface PublishOutcome {
  indexDigest: string;
  images: PlatformImage[];
  /** Attestations and signature (docs/supply-chain.md); absent for a job without `supply`. */
  supplyChain?: SupplyChain;
}

/**
 * Publishes a build: every platform's blobs and manifest, then the index by digest (to the image,
 * then to each push target), then the index under each tag, last, on every destination. A failure anywhere before the tags leaves no tag written; a registry
 * refusing a later tag after earlier ones moved names those in the error (no registry API moves
 * several tags at once).
 */
export async function publishBuild(input: PublishInput): Promise<PublishOutcome> {
  const { job, hooks } = input;
  const destinations = await openDestinations(job, input.registries);
  const [primary] = destinations as [Destination];
  const { repository, client } = primary;
  const results = matchResults(job.platforms, input.results);
  await client.ping(repository);

  const controller = new AbortController();
  const uploads = limiter(input.blobConcurrency ?? 4);
  // Attestations and signature (docs/supply-chain.md): all before any tag moves.
  const supply = supplyChainStep({ store: input.store, client, repository, job, results, signingKey: input.signingKey });
  const images = await mapLimit(results, input.concurrency ?? 2, controller, async (result) => {
    const early = input.pushed?.get(result.platform);
    if (early) return early;
    const push = async (again: boolean) => {
      await hooks?.platformStarted?.(result.platform, again);
      const image = await pushPlatform({ store: input.store, client, repository, result, signal: controller.signal, blobConcurrency: uploads, job });
      supply.platformPushed(image);
      await hooks?.platformEnded?.(result.platform, again);
      return image;
    };
    return input.guard ? input.guard.run(result, push, controller.signal) : push(false);
  });

  await hooks?.indexStarted?.();
  // Attestation manifests go into the index, the signature names it.
  const index = await supply.index(images);
  const indexDigest = await client.putManifest(repository, index.digest, OCI_INDEX, index.body).catch((err) => {
    throw index.refused(err);
  });
  const supplyChain = await supply.sign(indexDigest);
  // Push targets: every platform, the attestations, the index and its signature to each, before any tag anywhere.
  const published = [primary.ref];
  for (const target of destinations.slice(1)) {
    await hooks?.targetStarted?.(target.ref);
    const copy = { primary, images, signatureTag: supplyChain?.signature?.tag };
    await publishToTarget(target, { store: input.store, results, index, signal: controller.signal, blobConcurrency: uploads, published, job, copy });
    await hooks?.targetEnded?.(target.ref);
    published.push(target.ref);
  }
  await hooks?.beforeTags?.();
  await tagEverywhere(destinations, job.tags, index);
  await hooks?.indexEnded?.();
  return { indexDigest, images, ...(supplyChain ? { supplyChain } : {}) };
}

/** One BuildResult per platform of the build, in the build's order. */
function matchResults(platforms: Platform[], results: BuildResult[]): BuildResult[] {
  return platforms.map((wanted) => {
    const matching = results.filter((r) => r.platform === wanted);
    if (matching.length !== 1) {
      throw new FinalPublishError(`${matching.length === 0 ? 'no' : matching.length} built archive(s) for ${wanted} among the finished tasks, expected 1`);
    }
    return matching[0]!;
  });
}

/** Runs `fn` over `items`, `limit` at a time; the first failure aborts the rest and is thrown. */
async function mapLimit<T, R>(items: T[], limit: number, controller: AbortController, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  let failure: { err: unknown } | undefined;
  const lane = async () => {
    while (!failure && next < items.length) {
      const i = next++;
      try {
        out[i] = await fn(items[i]!);
      } catch (err) {
        if (!failure) failure = { err };
        controller.abort();
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
  if (failure) throw failure.err;
  return out;
}
