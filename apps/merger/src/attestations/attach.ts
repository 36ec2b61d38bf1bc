import { Readable } from 'node:stream';
import { objectKeys, SUPPLY, type BuildResult, type PlatformAttestation, type PublishJob, type PublishSupply } from '@archway/contract';
import type { ObjectStore } from '@archway/runtime';
import { RegistryError, type RegistryClient } from '../registry/index.ts';
import { FinalPublishError } from '../errors.ts';
import type { PlatformImage } from '../push-platform.ts';
import { sha256 } from './annotations.ts';
import { pushAttestationManifest } from './attestation-manifest.ts';
import { provenanceStatement, sbomStatement } from './provenance.ts';

export interface AttachInput {
  store: ObjectStore;
  client: RegistryClient;
  repository: string;
  job: PublishJob & { supply: PublishSupply };
  images: PlatformImage[];
  results: BuildResult[];
}

/** How to get past a registry that refuses attestations, for every error that names them. */
export const ATTESTATIONS_SWITCH =
  'publish without attestations: set "attestations": false on the build request, or the repository setting "attestations": false';

/**
 * Writes each platform's provenance (next to its SBOM in the object store, for the API) and, unless
 * switched off, pushes its attestation manifest. Platforms whose agent sent no supply material
 * (an older agent) get none. Returns the index descriptors and what the build records.
 */
export async function attachAttestations(o: AttachInput): Promise<{ descriptors: Record<string, unknown>[]; records: PlatformAttestation[] }> {
  const subjectName = `${o.client.registry}/${o.repository}`;
  const descriptors: Record<string, unknown>[] = [];
  const records: PlatformAttestation[] = [];
  for (const image of o.images) {
    const task = o.results.find((r) => r.platform === image.platform)?.supply;
    if (!task) continue;
    const spdx = JSON.parse(await readText(o.store, task.sbomKey)) as unknown;
    const provenance = Buffer.from(
      JSON.stringify(
        provenanceStatement({ buildId: o.job.buildId, platform: image.platform, subjectName, manifestDigest: image.digest, supply: o.job.supply, task }),
      ),
    );
    const sbom = Buffer.from(JSON.stringify(sbomStatement(subjectName, image.digest, spdx)));
    await o.store.put(objectKeys.provenance(o.job.buildId, image.platform), Readable.from([provenance]), { contentLength: provenance.length });
    let attestationDigest: string | null = null;
    if (o.job.supply.attestations) {
      try {
        const pushed = await pushAttestationManifest(o.client, o.repository, image.digest, [
          { predicateType: SUPPLY.slsaPredicate, body: provenance },
          { predicateType: SUPPLY.spdxPredicate, body: sbom },
        ]);
        descriptors.push(pushed.descriptor);
        attestationDigest = pushed.digest;
      } catch (err) {
        throw refused(err, `the attestation manifest of ${image.platform}`, subjectName);
      }
    }
    records.push({
      platform: image.platform,
      manifestDigest: image.digest,
      attestationDigest,
      provenanceDigest: sha256(provenance),
      sbomDigest: task.sbomDigest,
      packages: task.packages,
      sbomStatus: task.sbomStatus,
      generator: task.generator,
      baseImages: task.baseImages,
      agent: task.agent,
      startedOn: task.startedOn,
      finishedOn: task.finishedOn,
    });
  }
  return { descriptors, records };
}

/** A registry's final refusal of attestation content, named with the switch that avoids it. */
export function refused(err: unknown, what: string, where: string): unknown {
  if (err instanceof RegistryError && !err.retryable) {
    return new FinalPublishError(`${where} refused ${what}: ${err.message}; ${ATTESTATIONS_SWITCH}`);
  }
  return err;
}

async function readText(store: ObjectStore, key: string): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of await store.get(key)) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
