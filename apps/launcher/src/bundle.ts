import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { bundleOptions } from '../../../scripts/bundle-options.mjs';
import { ENTRY_POINTS, type ChildName } from './children.ts';

/**
 * Where `npm start` writes its bundles: inside the repository, so that the packages left external
 * resolve from node_modules and source-relative files (the dashboard, package.json) as from dist/.
 */
export const BUNDLE_DIR = fileURLToPath(new URL('../../../node_modules/.cache/archway/launcher/', import.meta.url));

/**
 * Bundles the children's entry points with the production esbuild options (scripts/bundle.mjs),
 * so `npm start` runs what deploy/ ships, by plain node: no tsx loader in the children, which
 * costs each 25–45 MiB (bench/merge (d)). Takes a second or two. Each file is written under a
 * temporary name and renamed, so two launchers bundling at once never run a half-written file.
 */
export async function bundleChildren(names: readonly ChildName[], dir = BUNDLE_DIR): Promise<Record<ChildName, string>> {
  const entries = Object.fromEntries(names.map((n) => [n, ENTRY_POINTS[n]]));
  const result = await build({ ...bundleOptions(entries, dir), write: false });
  await mkdir(dir, { recursive: true });
  for (const file of result.outputFiles) {
    const temporary = `${file.path}.${process.pid}.tmp`;
    await writeFile(temporary, file.contents);
    await rename(temporary, file.path);
  }
  return Object.fromEntries(names.map((n) => [n, join(dir, `${n}.mjs`)])) as Record<ChildName, string>;
}
