import { createHash } from 'node:crypto';
import { platformParts } from '@archway/contract';
import type { PlatformImage } from './push-platform.ts';
import { OCI_INDEX } from './oci.ts';

/** The OCI image index of a build: one entry per platform, in the order the build asked for. */
export function buildImageIndex(
  images: PlatformImage[],
  extra: { manifests?: Record<string, unknown>[]; annotations?: Record<string, string> } = {},
): { body: Buffer; digest: string } {
  const index = {
    schemaVersion: 2,
    mediaType: OCI_INDEX,
    manifests: [
      ...images.map((img) => {
        const { os, architecture, variant } = platformParts(img.platform);
        return { mediaType: img.mediaType, digest: img.digest, size: img.size, platform: { architecture, os, ...(variant ? { variant } : {}) } };
      }),
      // Attestation manifests come after every runnable one (buildkit's attestation-storage layout).
      ...(extra.manifests ?? []),
    ],
    ...(extra.annotations && Object.keys(extra.annotations).length ? { annotations: extra.annotations } : {}),
  };
  const body = Buffer.from(JSON.stringify(index));
  return { body, digest: `sha256:${createHash('sha256').update(body).digest('hex')}` };
}
