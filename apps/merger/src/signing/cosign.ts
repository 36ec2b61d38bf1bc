import { sign } from 'node:crypto';
import { OCI_CONFIG, OCI_MANIFEST } from '../oci.ts';
import type { RegistryClient } from '../registry/index.ts';
import { putBlob } from '../attestations/attestation-manifest.ts';
import { sha256 } from '../attestations/annotations.ts';
import type { SigningKey } from './key.ts';

/** Names from cosign's signature spec (specs/SIGNATURE_SPEC.md in sigstore/cosign). */
export const SIMPLE_SIGNING = 'application/vnd.dev.cosign.simplesigning.v1+json';
export const SIGNATURE_ANNOTATION = 'dev.cosignproject.cosign/signature';
export const COSIGN_TYPE = 'cosign container image signature';

/** `sha256:<hex>` → `sha256-<hex>.sig`: where cosign looks for the signatures of that digest. */
export function signatureTag(digest: string): string {
  return `${digest.replace(':', '-')}.sig`;
}

/** The simple-signing payload cosign signs: the digest it vouches for, under the repository's name. */
export function simpleSigningPayload(dockerReference: string, digest: string, optional: Record<string, string> | null): Buffer {
  return Buffer.from(
    JSON.stringify({
      critical: { identity: { 'docker-reference': dockerReference }, image: { 'docker-manifest-digest': digest }, type: COSIGN_TYPE },
      optional,
    }),
  );
}

/**
 * Signs `digest` (the index) and pushes the signature as `cosign sign --key` stores it: an OCI
 * manifest tagged `sha256-<hex>.sig` whose one layer is the payload, annotated with the base64 DER
 * ECDSA signature over the payload's SHA-256. `cosign verify --key <public key>` accepts it.
 */
export async function pushSignature(
  client: RegistryClient,
  repository: string,
  digest: string,
  key: SigningKey,
  optional: Record<string, string> | null,
): Promise<{ tag: string; digest: string }> {
  const payload = simpleSigningPayload(`${client.registry}/${repository}`, digest, optional);
  const signature = sign('sha256', payload, key.privateKey).toString('base64');
  const payloadDigest = sha256(payload);
  // cosign's empty image config for signature images (its rootfs names the payload layer).
  const config = Buffer.from(
    JSON.stringify({
      architecture: '',
      created: '0001-01-01T00:00:00Z',
      history: [{ created: '0001-01-01T00:00:00Z' }],
      os: '',
      rootfs: { type: 'layers', diff_ids: [payloadDigest] },
      config: {},
    }),
  );
  await Promise.all([putBlob(client, repository, payload), putBlob(client, repository, config)]);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: OCI_CONFIG, size: config.length, digest: sha256(config) },
      layers: [{ mediaType: SIMPLE_SIGNING, size: payload.length, digest: payloadDigest, annotations: { [SIGNATURE_ANNOTATION]: signature } }],
    }),
  );
  const tag = signatureTag(digest);
  const pushed = await client.putManifest(repository, tag, OCI_MANIFEST, manifest);
  return { tag, digest: pushed };
}
