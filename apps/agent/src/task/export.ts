import { readFile } from 'node:fs/promises';
import { describeImagePlatform, platformOfImage, type BaseImage } from '@archway/contract';
import { runBuildah, storageArgs, type BuildahSettings } from './buildah.ts';
import { finalFailure, retryableFailure, TaskCanceled } from './errors.ts';
import { readArchiveImage } from './oci-archive.ts';

export interface ExportOptions {
  settings: BuildahSettings;
  imageId: string;
  archivePath: string;
  digestFile: string;
  signal: AbortSignal;
  log: (line: string) => Promise<void>;
}

/**
 * Writes the built image as an oci-archive (OCI manifest, gzip layers) and checks that its config
 * is for the task's platform: a base image that only exists for another platform is caught here,
 * not at pull time on some user's machine.
 */
export async function exportImage(o: ExportOptions): Promise<{ manifestDigest: string; layoutDigest: string; baseImages: BaseImage[] }> {
  const p = o.settings.platform;
  const args = [...storageArgs(o.settings), 'push', '--format', 'oci', '--digestfile', o.digestFile, o.imageId, `oci-archive:${o.archivePath}`];
  const tail: string[] = [];
  const r = await runBuildah(o.settings, args, {
    signal: o.signal,
    onLine: async (line) => {
      tail.push(line);
      if (tail.length > 5) tail.shift();
      await o.log(line);
    },
  });
  if (r.aborted) throw new TaskCanceled();
  if (r.code !== 0) throw retryableFailure(`${p}: exporting the image failed: ${tail.at(-1) ?? `buildah push exited with ${r.code ?? r.signal}`}`);

  const pushed = (await readFile(o.digestFile, 'utf8')).trim();
  const image = await readArchiveImage(o.archivePath);
  if (image.manifestDigest !== pushed) {
    throw retryableFailure(`${p}: the archive's manifest ${image.manifestDigest} differs from the pushed digest ${pushed}`);
  }
  const actual = describeImagePlatform(image.platform);
  if (platformOfImage(image.platform) !== p) {
    throw finalFailure(`${p}: platform mismatch: the built image is for ${actual}, not ${p} (does the base image exist for ${p}?)`);
  }
  await o.log(`archway: exported ${image.manifestDigest} (${actual}, ${image.layers} layers)`);
  for (const b of image.baseImages) await o.log(`archway: based on ${b.reference} (${b.digest})`);
  return { manifestDigest: image.manifestDigest, layoutDigest: image.layoutDigest, baseImages: image.baseImages };
}
