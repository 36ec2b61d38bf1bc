// Bundles each process's entry point into dist/<role>.mjs for production images: plain Node, no
// tsx at run time. Our workspace packages (@archway/*, TypeScript) are bundled in; every other
// package stays in node_modules (`npm ci --omit=dev` in the image), so native and wasm parts of
// dependencies (Prisma's query compiler, buildah is a binary anyway) load as they were published.
//   node scripts/bundle.mjs [outdir]      (default: dist)
import { readFile } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';
import { build } from 'esbuild';

const outdir = process.argv[2] ?? 'dist';
const ENTRY_POINTS = { api: 'apps/api/src/main.ts', merger: 'apps/merger/src/main.ts', agent: 'apps/agent/src/main.ts', migrate: 'prisma/migrate.ts' };

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
const sourceRelativeUrls = {
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

await build({
  entryPoints: ENTRY_POINTS,
  outdir,
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: 'linked',
  logLevel: 'warning',
  plugins: [externalPackages, sourceRelativeUrls],
});
process.stdout.write(`bundled ${Object.keys(ENTRY_POINTS).join(', ')} into ${outdir}/\n`);
