import { Readable } from 'node:stream';
import { SUPPLY } from '@archway/contract';
import type { RegistryClient } from '../registry/index.ts';
import { OCI_CONFIG, OCI_MANIFEST } from '../oci.ts';
import { sha256 } from './annotations.ts';

/** Annotations buildx puts on an attestation manifest's descriptor in the index. */
export const REFERENCE_TYPE = 'vnd.docker.reference.type';
export const REFERENCE_DIGEST = 'vnd.docker.reference.digest';
export const PREDICATE_TYPE = 'in-toto.io/predicate-type';

export interface Statement {
  predicateType: string;
  body: Buffer;
}

export interface PushedAttestation {
  /** The descriptor that goes into the index (after the runnable manifests). */
  descriptor: Record<string, unknown>;
  digest: string;
  layers: { predicateType: string; digest: string }[];
}

/**
 * Pushes one platform's attestation manifest the way buildkit stores attestations
 * (docs/attestations/attestation-storage.md in moby/buildkit): an OCI image manifest whose config
 * is an `unknown/unknown` image config and whose layers are in-toto statements
 * (`application/vnd.in-toto+json`, annotated with their predicate type). Its index descriptor has
 * platform `unknown/unknown`, so runtimes never pick it, and points at the image it describes.
 */
export async function pushAttestationManifest(
  client: RegistryClient,
  repository: string,
  imageDigest: string,
  statements: Statement[],
): Promise<PushedAttestation> {
  const layers = statements.map((s) => ({
    mediaType: SUPPLY.inTotoMediaType,
    digest: sha256(s.body),
    size: s.body.length,
    annotations: { [PREDICATE_TYPE]: s.predicateType },
  }));
  const config = Buffer.from(
    JSON.stringify({ architecture: 'unknown', os: 'unknown', config: {}, rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) } }),
  );
  const blobs = [...statements.map((s) => s.body), config];
  await Promise.all(blobs.map((b) => putBlob(client, repository, b)));
  const manifest = Buffer.from(
    JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: { mediaType: OCI_CONFIG, digest: sha256(config), size: config.length }, layers }),
  );
  const digest = await client.putManifest(repository, sha256(manifest), OCI_MANIFEST, manifest);
  return {
    digest,
    layers: layers.map((l) => ({ predicateType: l.annotations[PREDICATE_TYPE], digest: l.digest })),
    descriptor: {
      mediaType: OCI_MANIFEST,
      digest,
      size: manifest.length,
      annotations: { [REFERENCE_DIGEST]: imageDigest, [REFERENCE_TYPE]: 'attestation-manifest' },
      platform: { architecture: 'unknown', os: 'unknown' },
    },
  };
}

/**
 * Uploads a small blob (POST + PUT). No HEAD first: these blobs are new on a first publish, where
 * the HEAD was one more round trip per blob (bench/attest), and uploading a few KiB again on a
 * retry costs less than that.
 */
export async function putBlob(client: RegistryClient, repository: string, data: Buffer): Promise<string> {
  const digest = sha256(data);
  await client.uploadBlob(repository, { digest, size: data.length, source: async () => Readable.from([data]) });
  return digest;
}
