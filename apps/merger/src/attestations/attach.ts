import { Readable } from 'node:stream';
import { objectKeys, SUPPLY, type PlatformAttestation, type PublishJob, type PublishSupply, type TaskSupply } from '@archway/contract';
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
}

/** How to get past a registry that refuses attestations, for every error that names them. */
export const ATTESTATIONS_SWITCH =
  'publish without attestations: set "attestations": false on the build request, or the repository setting "attestations": false';

export interface AttachedPlatform {
  /** The attestation manifest's index descriptor; absent when attestations are switched off. */
  descriptor?: Record<string, unknown>;
  record: PlatformAttestation;
}

/**
 * Writes one platform's provenance (next to its SBOM in the object store, for the API) and, unless
 * switched off, pushes its attestation manifest. Needs only that platform's manifest in the
 * registry, so the publish starts it as soon as the platform is pushed.
 */
export async function attachPlatform(o: AttachInput, image: PlatformImage, task: TaskSupply): Promise<AttachedPlatform> {
  return attachOne(o, `${o.client.registry}/${o.repository}`, image, task);
}

async function attachOne(o: AttachInput, subjectName: string, image: PlatformImage, task: TaskSupply) {
  const spdx = JSON.parse(await readText(o.store, task.sbomKey)) as unknown;
  const provenance = Buffer.from(
    JSON.stringify(
      provenanceStatement({ buildId: o.job.buildId, platform: image.platform, subjectName, manifestDigest: image.digest, supply: o.job.supply, task }),
    ),
  );
  const sbom = Buffer.from(JSON.stringify(sbomStatement(subjectName, image.digest, spdx)));
  const stored = o.store.put(objectKeys.provenance(o.job.buildId, image.platform, o.job.imageName), Readable.from([provenance]), {
    contentLength: provenance.length,
  });
  let descriptor: Record<string, unknown> | undefined;
  if (o.job.supply.attestations) {
    try {
      const pushed = await pushAttestationManifest(o.client, o.repository, image.digest, [
        { predicateType: SUPPLY.slsaPredicate, body: provenance },
        { predicateType: SUPPLY.spdxPredicate, body: sbom },
      ]);
      descriptor = pushed.descriptor;
    } catch (err) {
      await stored.catch(() => {});
      throw refused(err, `the attestation manifest of ${image.platform}`, subjectName);
    }
  }
  await stored;
  const record: PlatformAttestation = {
    platform: image.platform,
    manifestDigest: image.digest,
    attestationDigest: descriptor ? (descriptor.digest as string) : null,
    provenanceDigest: sha256(provenance),
    sbomDigest: task.sbomDigest,
    packages: task.packages,
    sbomStatus: task.sbomStatus,
    generator: task.generator,
    baseImages: task.baseImages,
    agent: task.agent,
    startedOn: task.startedOn,
    finishedOn: task.finishedOn,
  };
  return { descriptor, record };
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
