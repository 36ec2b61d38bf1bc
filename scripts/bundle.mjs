// Bundles each process's entry point into dist/<role>.mjs for production images: plain Node, no
// tsx at run time (the options, shared with bench/merge: scripts/bundle-options.mjs).
//   node scripts/bundle.mjs [outdir]      (default: dist)
import { build } from 'esbuild';
import { bundleOptions } from './bundle-options.mjs';

const outdir = process.argv[2] ?? 'dist';
const ENTRY_POINTS = { api: 'apps/api/src/main.ts', merger: 'apps/merger/src/main.ts', agent: 'apps/agent/src/main.ts', migrate: 'prisma/migrate.ts' };

await build(bundleOptions(ENTRY_POINTS, outdir));
process.stdout.write(`bundled ${Object.keys(ENTRY_POINTS).join(', ')} into ${outdir}/\n`);
