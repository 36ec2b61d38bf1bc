import { z } from 'zod';
import { defineConfig, field, loadConfig } from '@archway/runtime';

/**
 * What `npm start` reads (apps/launcher/ENV.md, checked against it by test/docs/env-tables.test.ts).
 * Everything else passes through to the children, which check their own variables; the ones here
 * decide what is embedded. Empty means unset, as in every process.
 */
export const LauncherEnv = z.object({
  ARCHWAY_DATA_DIR: field.text('.archway'),
  ARCHWAY_EMBEDDED_PG_PORT: field.port({}),
  ARCHWAY_EMBEDDED_REDIS_PORT: field.port({}),
  // As redis.conf spells a size: bytes, or a number with k/kb/m/mb/g/gb.
  ARCHWAY_EMBEDDED_REDIS_MAXMEMORY: z
    .string()
    .trim()
    .default('1gb')
    .refine((v) => /^[1-9]\d*(k|kb|m|mb|g|gb)?$/i.test(v), { error: (issue) => `must be a size such as 512mb or 2gb, got "${String(issue.input)}"` })
    .transform((v) => v.toLowerCase()),
  ARCHWAY_EMBEDDED_AGENT: field.bool(true),
  DATABASE_URL: field.text(),
  REDIS_URL: field.text(),
  ARCHWAY_OBJECT_STORE: field.text(),
  ARCHWAY_AGENT_DATA_DIR: field.text(),
  ARCHWAY_AGENT_SECRET_KEY: field.text(),
  ARCHWAY_AGENT_SECRET_KEY_FILE: field.text(),
  HOST: field.text('127.0.0.1'),
  PORT: field.port({ min: 0, fallback: 8080 }),
  ARCHWAY_PUBLIC_URL: field.text(),
});
export const launcherConfig = defineConfig({ process: 'launcher', schema: LauncherEnv, docs: 'apps/launcher/ENV.md' });
export type LauncherConfig = z.output<typeof LauncherEnv>;

export function loadLauncherConfig(env: NodeJS.ProcessEnv = process.env): LauncherConfig {
  return loadConfig(launcherConfig, env);
}
