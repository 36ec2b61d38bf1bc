// esbuild options of the production bundles (scripts/bundle.mjs), shared with the benches that
// must measure what production runs (bench/merge bundles its merger child with them). Our
// workspace packages (@archway/*, TypeScript) are bundled in; every other package stays in
// node_modules, so native and wasm parts of dependencies load as they were published.
import { readFile } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';

const externalPackages = {
  name: 'external-packages',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => (args.path.startsWith('@archway/') ? undefined : { path: args.path, external: true }));
  },
};

/**
 * `new URL('../x', import.meta.url)` and `createRequire(import.meta.url)` in our sources name files
 * relative to the source file (package.json, the dashboard's dist/, prisma/migrations): point them
 * at that file's place in the image's tree, which keeps the repository's layout beside dist/.
 */
function sourceRelativeUrls(outdir) {
  return {
    name: 'source-relative-urls',
    setup(b) {
      b.onLoad({ filter: /\.ts$/ }, async (args) => {
        if (args.path.includes('/node_modules/')) return undefined;
        const text = await readFile(args.path, 'utf8');
        if (!text.includes('import.meta.url')) return undefined;
        const here = JSON.stringify(relative(resolve(outdir), args.path));
        const at = `new URL(${here}, import.meta.url)`;
        const contents = text
          .replace(/new URL\(([^()]*?),\s*import\.meta\.url\)/g, (_m, path) => `new URL(${path}, ${at})`)
          .replace(/createRequire\(import\.meta\.url\)/g, `createRequire(${at})`);
        return { contents, loader: 'ts', resolveDir: dirname(args.path) };
      });
    },
  };
}

/** esbuild options bundling `entryPoints` ({ name: path }) into `outdir`/<name>.mjs. */
export function bundleOptions(entryPoints, outdir) {
  return {
    entryPoints,
    outdir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    sourcemap: 'linked',
    logLevel: 'warning',
    plugins: [externalPackages, sourceRelativeUrls(outdir)],
  };
}
