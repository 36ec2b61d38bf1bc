import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * A read-only view of buildah's (containers/storage) overlay metadata: images with their top
 * layer, the layer tree with sizes, and the working containers. containers/storage replaces these
 * JSON files atomically (write + rename), so reading them without its lock sees a consistent state.
 * buildah's own listings lack the layer tree, which GC needs to know what a removal frees.
 */
export interface StoredImage {
  id: string;
  names: string[];
  topLayer: string;
  created: number;
}

export interface StorageIndex {
  images: StoredImage[];
  layers: Map<string, { parent?: string; size: number }>;
  /** Image ids working containers are based on (buildah refuses to remove those). */
  inUse: Set<string>;
}

async function readJsonArray(path: string): Promise<Record<string, unknown>[]> {
  try {
    const parsed = JSON.parse(await readFile(path, 'utf8'));
    return Array.isArray(parsed) ? parsed : [];
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

export async function readStorageIndex(root: string): Promise<StorageIndex> {
  const [images, layers, containers] = await Promise.all([
    readJsonArray(join(root, 'overlay-images', 'images.json')),
    readJsonArray(join(root, 'overlay-layers', 'layers.json')),
    readJsonArray(join(root, 'overlay-containers', 'containers.json')),
  ]);
  return {
    images: images
      .filter((i) => typeof i.id === 'string')
      .map((i) => ({
        id: i.id as string,
        names: Array.isArray(i.names) ? (i.names as string[]) : [],
        topLayer: typeof i.layer === 'string' ? i.layer : '',
        created: Date.parse(String(i.created ?? '')) || 0,
      })),
    layers: new Map(
      layers
        .filter((l) => typeof l.id === 'string')
        .map((l) => [l.id as string, { ...(typeof l.parent === 'string' ? { parent: l.parent } : {}), size: Number(l['diff-size'] ?? 0) || 0 }]),
    ),
    inUse: new Set(containers.map((c) => c.image).filter((x): x is string => typeof x === 'string')),
  };
}

/** The layer ids from `top` down to the base layer. */
export function layerChain(index: Pick<StorageIndex, 'layers'>, top: string): string[] {
  const chain: string[] = [];
  const seen = new Set<string>();
  for (let id: string | undefined = top; id && !seen.has(id); id = index.layers.get(id)?.parent) {
    seen.add(id);
    chain.push(id);
  }
  return chain;
}

/** Images whose top layer lies in `imageId`'s chain: the image, its build's cached steps and its base image. */
export function imagesUnder(index: StorageIndex, imageId: string): string[] {
  const id = imageId.replace(/^sha256:/, ''); // buildah's --iidfile writes `sha256:<id>`
  const image = index.images.find((i) => i.id === id);
  if (!image) return [];
  const chain = new Set(layerChain(index, image.topLayer));
  return index.images.filter((i) => chain.has(i.topLayer)).map((i) => i.id);
}
