import { parseImageName } from '@archway/contract';

/** A base image reference as the watcher polls it: registry, repository and tag, never a digest. */
export interface BaseReference {
  registry: string;
  repository: string;
  tag: string;
  /** `registry/repository:tag`: the key of its BaseImageWatch row. */
  canonical: string;
}

/**
 * Reads what buildah wrote as the base name (`docker.io/library/debian:bookworm`,
 * `localhost:5000/base:1`, `debian`): the tag defaults to `latest`; a reference pinned by digest
 * cannot change and is not watched (undefined), nor is anything unparsable.
 */
export function parseBaseReference(text: string): BaseReference | undefined {
  if (text.includes('@')) return undefined;
  const slash = text.lastIndexOf('/');
  const colon = text.lastIndexOf(':');
  const hasTag = colon > slash;
  const name = hasTag ? text.slice(0, colon) : text;
  const tag = hasTag ? text.slice(colon + 1) : 'latest';
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(tag)) return undefined;
  try {
    const { registry, repository } = parseImageName(name);
    return { registry, repository, tag, canonical: `${registry}/${repository}:${tag}` };
  } catch {
    return undefined;
  }
}
