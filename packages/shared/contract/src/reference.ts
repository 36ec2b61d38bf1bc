import { z } from 'zod';

// Grammar from the distribution reference spec (github.com/distribution/reference).
const component = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const domainComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const domain = `(?:${domainComponent}(?:\\.${domainComponent})*|\\[[0-9a-fA-F:]+\\])(?::[0-9]+)?`;
const repository = `${component}(?:/${component})*`;
const IMAGE_RE = new RegExp(`^(?:(${domain})/)?(${repository})$`);
export const TAG_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

export interface ImageName {
  /** Registry host[:port], e.g. `registry.example.com:5000`. */
  registry: string;
  /** Repository path inside the registry, e.g. `me/app`. */
  repository: string;
}

/**
 * Parses an image name without tag or digest. Like docker, the first path component is a
 * registry only when it has a dot or a port, or is `localhost`; otherwise docker.io is implied.
 */
export function parseImageName(input: string): ImageName {
  const match = IMAGE_RE.exec(input);
  if (!match || input.length > 255) {
    throw new Error(`invalid image name "${input}": expected registry/repository, lowercase, without tag`);
  }
  const [first, ...rest] = input.split('/');
  const looksLikeHost = first !== undefined && rest.length > 0 && (/[.:]/.test(first) || first === 'localhost' || first.startsWith('['));
  if (!looksLikeHost) {
    const path = input.includes('/') ? input : `library/${input}`;
    return { registry: 'docker.io', repository: path };
  }
  return { registry: first!, repository: rest.join('/') };
}

export const ImageNameString = z.string().superRefine((value, ctx) => {
  try {
    parseImageName(value);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
  }
});

/**
 * Where a restricted `build` token may push: a registry host (with port) and optionally a path,
 * e.g. `registry.example.com/team` (Docker Hub spelled out: `docker.io/myorg`). It matches whole
 * path components: `…/team` allows `…/team/app`, not `…/teammate`.
 */
export const ImagePrefixString = z
  .string()
  .trim()
  .max(255)
  .transform((v) => v.replace(/\/+$/, ''))
  .refine(
    (v) => new RegExp(`^${domain}(?:/${repository})?$`).test(v) && (/^[^/]*[.:]/.test(v) || /^localhost(?::|\/|$)/.test(v) || v.startsWith('[')),
    'an image prefix is a registry host with an optional path, e.g. registry.example.com/team or docker.io/myorg (no tag)',
  );

/** Whether pushing `image` stays within one of `prefixes` (compared on the full registry/repository name). */
export function imageWithinPrefixes(image: string, prefixes: readonly string[]): boolean {
  const { registry, repository } = parseImageName(image);
  const full = `${registry.toLowerCase()}/${repository}`;
  return prefixes.some((raw) => {
    const p = raw.replace(/\/+$/, '').replace(/^[^/]+/, (host) => host.toLowerCase());
    return full === p || full.startsWith(`${p}/`);
  });
}

/**
 * Push targets: extra destinations for the image(s) a build publishes, each a registry host with
 * an optional path (the ImagePrefixString grammar). An image `ghcr.io/acme/app` with the target
 * `harbor.internal/team` is also published as `harbor.internal/team/app`: the last path component
 * of each image is kept, so one list of targets serves builds of one image or of several.
 */
export const PushTargets = z.array(ImagePrefixString).max(8, 'at most 8 push targets');

/** Every reference a build's image is published to: the image itself first, then one per target. */
export function imageDestinations(image: string, targets: readonly string[] = []): string[] {
  const name = image.slice(image.lastIndexOf('/') + 1);
  const all = [image, ...targets.map((t) => `${t.replace(/\/+$/, '')}/${name}`)];
  return all.filter((ref, i) => all.indexOf(ref) === i);
}

export const TagString = z.string().regex(TAG_RE, 'invalid tag: use letters, digits, "_", "." and "-" (max 128, not starting with "." or "-")');
