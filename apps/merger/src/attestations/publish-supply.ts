import type { BuildResult, Platform, PublishJob, SupplyChain } from '@archway/contract';
import type { ObjectStore } from '@archway/runtime';
import type { RegistryClient } from '../registry/index.ts';
import { buildImageIndex } from '../image-index.ts';
import type { PlatformImage } from '../push-platform.ts';
import { pushSignature } from '../signing/cosign.ts';
import type { SigningKey } from '../signing/key.ts';
import { indexAnnotations } from './annotations.ts';
import { attachPlatform, refused, type AttachedPlatform } from './attach.ts';

export interface SupplyInput {
  store: ObjectStore;
  client: RegistryClient;
  repository: string;
  job: PublishJob;
  results: BuildResult[];
  signingKey?: SigningKey | undefined;
}

type Settled = { ok: AttachedPlatform | undefined } | { err: unknown };

/**
 * The publish's supply-chain step (publish.ts hooks it in): each platform's attestation starts as
 * soon as that platform is pushed (`platformPushed`), the index waits for them (`index`), and
 * `sign(indexDigest)` runs before any tag moves. A job without `supply` (queued by an older API)
 * gets the plain index, unsigned.
 */
export function supplyChainStep(o: SupplyInput) {
  const { job } = o;
  const supply = job.supply;
  // Settled promises only: a publish that fails elsewhere never leaves a rejection unhandled.
  const pending = new Map<Platform, Promise<Settled>>();
  let attached: AttachedPlatform[] = [];
  return {
    platformPushed(image: PlatformImage): void {
      const task = o.results.find((r) => r.platform === image.platform)?.supply;
      if (!supply || !task || pending.has(image.platform)) return;
      pending.set(
        image.platform,
        attachPlatform({ ...o, job: { ...job, supply } }, image, task).then(
          (ok) => ({ ok }),
          (err: unknown) => ({ err }),
        ),
      );
    },
    async index(images: PlatformImage[]) {
      for (const image of images) this.platformPushed(image);
      const settled = await Promise.all(images.map((i) => pending.get(i.platform) ?? Promise.resolve({ ok: undefined })));
      const failed = settled.find((s): s is { err: unknown } => 'err' in s);
      if (failed) throw failed.err;
      attached = settled.flatMap((s) => ('ok' in s && s.ok ? [s.ok] : []));
      const manifests = attached.flatMap((a) => (a.descriptor ? [a.descriptor] : []));
      const index = buildImageIndex(images, { manifests, annotations: supply ? indexAnnotations(images) : {} });
      return {
        ...index,
        /** A registry refusing an index with `unknown/unknown` entries: say which switch avoids them. */
        refused: (err: unknown) =>
          manifests.length ? refused(err, 'the image index with attestation manifests', `${o.client.registry}/${o.repository}`) : err,
      };
    },
    async sign(indexDigest: string): Promise<SupplyChain | undefined> {
      if (!supply) return undefined;
      const unsigned = !o.signingKey ? 'the merger has no signing key (ARCHWAY_SIGNING_KEY)' : !supply.sign ? 'pull-request builds are never signed' : null;
      const signature = unsigned ? null : await pushSignature(o.client, o.repository, indexDigest, o.signingKey!, { 'dev.archway.build': job.buildId });
      return { attestations: attached.map((a) => a.record), signature, unsignedReason: unsigned };
    },
  };
}
