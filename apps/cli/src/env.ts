import { z } from 'zod';
import { defineConfig, field } from '@archway/runtime/config';

/**
 * The CLI's variables, read through the same loader as every process (empty means unset; a bad
 * value is `invalid CLI configuration:` + `  - VAR: problem`, exit code 2). `--url` and `--token`
 * win over them. Only the light configuration entry of @archway/runtime is imported: the CLI
 * starts on every call and must not load the object-store SDKs.
 */
export const CliEnv = z.object({
  ARCHWAY_URL: z
    .string()
    .trim()
    .refine((v) => /^https?:\/\/[^\s]+$/.test(v), 'must be an http:// or https:// URL')
    .default('http://127.0.0.1:8080'),
  ARCHWAY_TOKEN: field.text(),
});
export const cliConfig = defineConfig({ process: 'CLI', schema: CliEnv, docs: 'README.md (Configuration)' });
