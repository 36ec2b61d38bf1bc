import { createHash } from 'node:crypto';
import type { PublishJob, PublishSupply } from '@archway/contract';
import { redactUrl } from '@archway/runtime';

/** The OCI pre-defined annotation keys Archway sets (image-spec annotations.md). */
export const OCI_ANNOTATIONS = {
  source: 'org.opencontainers.image.source',
  revision: 'org.opencontainers.image.revision',
  created: 'org.opencontainers.image.created',
  version: 'org.opencontainers.image.version',
  refName: 'org.opencontainers.image.ref.name',
  title: 'org.opencontainers.image.title',
  url: 'org.opencontainers.image.url',
} as const;

/** Archway's own values for a build; `created` is the image's (per platform) or the newest (index). */
export function buildAnnotations(job: Pick<PublishJob, 'tags' | 'buildId'>, supply: PublishSupply, created: string | undefined): Record<string, string> {
  const a: Record<string, string> = {
    [OCI_ANNOTATIONS.source]: sourceUrl(supply.source.url),
    [OCI_ANNOTATIONS.revision]: supply.source.commit,
  };
  if (created) a[OCI_ANNOTATIONS.created] = created;
  if (supply.version) a[OCI_ANNOTATIONS.version] = supply.version;
  if (job.tags[0]) a[OCI_ANNOTATIONS.refName] = job.tags[0];
  if (supply.title) a[OCI_ANNOTATIONS.title] = supply.title;
  // The builder id is this Archway's URL: the build's page is under it.
  if (/^https?:\/\//.test(supply.builderId)) a[OCI_ANNOTATIONS.url] = `${supply.builderId.replace(/\/$/, '')}/builds/${job.buildId}`;
  return a;
}

/** A clone URL as an annotation may show it: never its credentials. */
export function sourceUrl(url: string): string {
  const r = redactUrl(url);
  return r === url ? url : r.replace(/\/\/[^@/]*@/, '//');
}

interface RawConfig {
  created?: string;
  config?: { Labels?: Record<string, string> | null };
}

/**
 * The platform manifest as Archway publishes it: the archive's, with Archway's annotations added.
 * Labels the Containerfile set under the same keys win (the user knows better where their source
 * lives than the clone URL Archway used, and label and annotation then agree); annotations buildah
 * set (`org.opencontainers.image.base.*`) stay. The bytes are deterministic for one archive and
 * build, so an early push and the publish job's agree on the digest.
 */
export function annotateManifest(
  manifest: Buffer,
  config: Buffer,
  job: Pick<PublishJob, 'tags' | 'buildId'>,
  supply: PublishSupply,
): { body: Buffer; created?: string } {
  const m = JSON.parse(manifest.toString('utf8')) as Record<string, unknown> & { annotations?: Record<string, string> };
  const c = JSON.parse(config.toString('utf8')) as RawConfig;
  const ours = buildAnnotations(job, supply, c.created);
  const labels = c.config?.Labels ?? {};
  const merged: Record<string, string> = { ...(m.annotations ?? {}) };
  for (const [k, v] of Object.entries(ours)) merged[k] = typeof labels[k] === 'string' ? labels[k] : v;
  const body = Buffer.from(JSON.stringify({ ...m, annotations: merged }));
  return c.created ? { body, created: c.created } : { body };
}

export function sha256(data: Buffer): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/**
 * The index's annotations: those of its first platform manifest (labels already applied), with
 * `created` the newest of the platforms'.
 */
export function indexAnnotations(images: { annotations?: Record<string, string>; created?: string }[]): Record<string, string> {
  const first = images[0]?.annotations;
  if (!first) return {};
  const keys = new Set<string>(Object.values(OCI_ANNOTATIONS));
  const out = Object.fromEntries(Object.entries(first).filter(([k]) => keys.has(k)));
  const created = images
    .map((i) => i.created)
    .filter((c): c is string => !!c)
    .sort()
    .at(-1);
  if (created && !images.some((i) => i.annotations?.[OCI_ANNOTATIONS.created] !== i.created)) out[OCI_ANNOTATIONS.created] = created;
  return out;
}
