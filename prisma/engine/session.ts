import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { createMigrationAdapter } from './pg-adapter.ts';
import { lastPanic, loadSchemaEngine, type SchemaEngine } from './load-engine.ts';

export const DEFAULT_SCHEMA = fileURLToPath(new URL('../schema.prisma', import.meta.url));
export const DEFAULT_MIGRATIONS_DIR = fileURLToPath(new URL('../migrations', import.meta.url));
export const NO_FILTERS = { externalTables: [], externalEnums: [] };

export interface EngineContext {
  engine: SchemaEngine;
  schema: { files: { path: string; content: string }[] };
}

/**
 * Runs `fn` with a schema engine connected to `databaseUrl`, then frees the engine and closes
 * every connection it opened, so callers (servers, tests) are left with no open handles.
 */
export async function withEngine<T>(databaseUrl: string, schemaPath: string, fn: (ctx: EngineContext) => Promise<T>): Promise<T> {
  const SchemaEngine = await loadSchemaEngine();
  const content = await readFile(schemaPath, 'utf8');
  const adapter = createMigrationAdapter(databaseUrl);
  const debug = process.env.DEBUG?.includes('prisma') ? (line: string) => console.error(line) : () => {};
  let engine: SchemaEngine | undefined;
  try {
    engine = await SchemaEngine.new({ datamodels: [[schemaPath, content]] }, debug, adapter.factory);
    return await fn({ engine, schema: { files: [{ path: schemaPath, content }] } });
  } catch (error) {
    throw engineError(error);
  } finally {
    engine?.free();
    await adapter.close();
  }
}

/** Engine errors arrive as plain objects or bare strings; turn them into readable Errors. */
function engineError(error: unknown): Error {
  if (error instanceof Error) return error;
  const e = error as { message?: string; error_code?: string; meta?: unknown } | string;
  const text = typeof e === 'string' ? e : (e.message ?? JSON.stringify(e));
  const code = typeof e === 'object' && e.error_code ? `${e.error_code}: ` : '';
  return new Error(`${code}${text}${lastPanic ? `\n(schema engine panic: ${lastPanic})` : ''}`, { cause: error });
}
