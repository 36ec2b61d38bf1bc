import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as glue from '@prisma/schema-engine-wasm/schema_engine_bg';
import type { SchemaEngine as SchemaEngineType } from '@prisma/schema-engine-wasm';

export type SchemaEngine = SchemaEngineType;
type SchemaEngineClass = { new: typeof SchemaEngineType.new };

const require = createRequire(import.meta.url);
let loaded: Promise<SchemaEngineClass> | undefined;

/** Last Rust panic message: the wasm reports panics here instead of throwing them. */
export let lastPanic: string | undefined;

/**
 * Instantiates the schema engine's WebAssembly module once per process. The package's entry
 * imports the .wasm as an ES module (needs --experimental-wasm-modules), so we wire the glue up
 * ourselves. Timers the engine starts are unref'd: they are fire-and-forget timeouts that would
 * otherwise keep the process (or a test worker) alive for ~10 s after the work is done.
 */
export function loadSchemaEngine(): Promise<SchemaEngineClass> {
  loaded ??= (async () => {
    (globalThis as Record<string, unknown>).PRISMA_WASM_PANIC_REGISTRY = {
      set_message(message: string) {
        lastPanic = message;
      },
    };
    const pkgDir = dirname(require.resolve('@prisma/schema-engine-wasm/schema_engine_bg'));
    const bytes = await readFile(join(pkgDir, 'schema_engine_bg.wasm'));
    const imports: Record<string, unknown> = { ...glue };
    for (const key of Object.keys(imports)) {
      if (key.startsWith('__wbg_setTimeout_')) {
        imports[key] = (fn: () => void, ms: number) => {
          const timer = setTimeout(fn, ms >>> 0);
          timer.unref();
          return timer;
        };
      }
    }
    const { instance } = await WebAssembly.instantiate(bytes, { './schema_engine_bg.js': imports as WebAssembly.ModuleImports });
    glue.__wbg_set_wasm(instance.exports);
    (instance.exports.__wbindgen_start as () => void)();
    return glue.SchemaEngine as unknown as SchemaEngineClass;
  })();
  return loaded;
}
