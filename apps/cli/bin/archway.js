#!/usr/bin/env node
// No build step: tsx loads the TypeScript sources (resolved from this package, not the cwd).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/main.ts');
process.exitCode = await main(process.argv.slice(2));
