import { z } from 'zod';
import { BadArchiveError } from './errors.ts';

export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';

const Digest = z.string().regex(/^sha256:[0-9a-f]{64}$/, 'expected sha256:<64 hex>');

export const Descriptor = z.object({
  mediaType: z.string(),
  digest: Digest,
  size: z.number().int().nonnegative(),
  platform: z.object({ os: z.string(), architecture: z.string(), variant: z.string().optional() }).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});
export type Descriptor = z.infer<typeof Descriptor>;

export const OciIndex = z.object({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  manifests: z.array(Descriptor),
});
export type OciIndex = z.infer<typeof OciIndex>;

export const ImageManifest = z.object({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  config: Descriptor,
  layers: z.array(Descriptor),
});
export type ImageManifest = z.infer<typeof ImageManifest>;

export const ImageConfig = z.object({
  architecture: z.string(),
  os: z.string(),
  variant: z.string().optional(),
});
export type ImageConfig = z.infer<typeof ImageConfig>;

/** Parses JSON from an archive against a schema; any failure names the file. */
export function parseJson<T>(schema: z.ZodType<T>, data: Buffer, what: string): T {
  let json: unknown;
  try {
    json = JSON.parse(data.toString('utf8'));
  } catch {
    throw new BadArchiveError(`${what} is not valid JSON`);
  }
  const result = schema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new BadArchiveError(`${what} is not valid: ${issue?.path.join('.') || '(root)'} ${issue?.message}`);
  }
  return result.data;
}
