import type { BuildResult, PublishJob, SupplyChain } from '@archway/contract';
import type { ObjectStore } from '@archway/runtime';
import type { RegistryClient } from '../registry/index.ts';
import { buildImageIndex } from '../image-index.ts';
import type { PlatformImage } from '../push-platform.ts';
import { pushSignature } from '../signing/cosign.ts';
import type { SigningKey } from '../signing/key.ts';
import { indexAnnotations } from './annotations.ts';
import { attachAttestations, refused } from './attach.ts';

export interface SupplyInput {
  store: ObjectStore;
  client: RegistryClient;
  repository: string;
  job: PublishJob;
  images: PlatformImage[];
  results: BuildResult[];
  signingKey?: SigningKey | undefined;
}

/**
 * The publish's supply-chain step (publish.ts calls it between the platforms and the index):
 * attestation manifests and the index to push, then `sign(indexDigest)` before the tags. A job
 * without `supply` (queued by an older API) gets the plain index, unsigned.
 */
export async function publishSupplyChain(o: SupplyInput) {
  const { job } = o;
  const supply = job.supply;
  const attached = supply ? await attachAttestations({ ...o, job: { ...job, supply } }) : { descriptors: [], records: [] };
  const index = buildImageIndex(o.images, { manifests: attached.descriptors, annotations: supply ? indexAnnotations(o.images) : {} });
  return {
    index,
    /** A registry refusing an index with `unknown/unknown` entries: say which switch avoids them. */
    refusedIndex: (err: unknown) =>
      attached.descriptors.length ? refused(err, 'the image index with attestation manifests', `${o.client.registry}/${o.repository}`) : err,
    sign: async (indexDigest: string): Promise<SupplyChain | undefined> => {
      if (!supply) return undefined;
      const unsigned = !o.signingKey ? 'the merger has no signing key (ARCHWAY_SIGNING_KEY)' : !supply.sign ? 'pull-request builds are never signed' : null;
      const signature = unsigned ? null : await pushSignature(o.client, o.repository, indexDigest, o.signingKey!, { 'dev.archway.build': job.buildId });
      return { attestations: attached.records, signature, unsignedReason: unsigned };
    },
  };
}
