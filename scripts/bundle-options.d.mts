import type { BuildOptions } from 'esbuild';

/** esbuild options bundling `entryPoints` ({ name: path }) into `outdir`/<name>.mjs. */
export function bundleOptions(entryPoints: Record<string, string>, outdir: string): BuildOptions;
