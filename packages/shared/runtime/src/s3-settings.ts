import { z } from 'zod';
import { ConfigError } from './config/config-error.ts';
import { defineConfig, loadConfig } from './config/load-config.ts';
import { bool } from './config/fields.ts';
import type { S3ObjectStoreOptions } from './s3-object-store.ts';

type Env = Record<string, string | undefined>;

const optionalText = () => z.string().trim().optional();

/** The S3 variables, documented in packages/shared/runtime/ENV-S3.md (checked by test/docs). */
export const S3Env = z.object({
  ARCHWAY_S3_ENDPOINT: optionalText().refine((v) => v === undefined || /^https?:\/\/[^/]/.test(v), {
    error: (i) => `must be an http:// or https:// URL, got "${String(i.input)}"`,
  }),
  ARCHWAY_S3_REGION: z.string().trim().default('us-east-1'),
  ARCHWAY_S3_FORCE_PATH_STYLE: bool(),
  AWS_ACCESS_KEY_ID: optionalText(),
  AWS_SECRET_ACCESS_KEY: optionalText(),
  AWS_SESSION_TOKEN: optionalText(),
});
export const s3Config = defineConfig({
  process: 'object store',
  schema: S3Env,
  secrets: ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'],
  docs: 'packages/shared/runtime/ENV-S3.md',
});

/**
 * `s3://bucket/optional/prefix` + environment → S3ObjectStore options. Synchronous so
 * createObjectStore stays synchronous. Throws a ConfigError naming each variable that is wrong (the
 * URL's own problems under ARCHWAY_OBJECT_STORE); secret values never appear in it.
 */
export function s3OptionsFromUrl(url: string, env: Env = process.env): S3ObjectStoreOptions {
  if (!url.startsWith('s3://')) throw new Error(`object store URL "${url}" is not an s3:// URL`);
  const rest = url.slice('s3://'.length);
  const slash = rest.indexOf('/');
  const bucket = slash === -1 ? rest : rest.slice(0, slash);
  const prefix = slash === -1 ? '' : rest.slice(slash + 1);
  // Lenient on purpose: some self-hosted stores accept legacy names AWS no longer does.
  if (!/^[A-Za-z0-9._-]{3,63}$/.test(bucket)) {
    throw new ConfigError(s3Config.process, [
      { variable: 'ARCHWAY_OBJECT_STORE', problem: `"${bucket}" in "${url}" is not a valid bucket name (3-63 characters: letters, digits, '.', '-', '_')` },
    ]);
  }
  const e = loadConfig(s3Config, env);
  const endpoint = e.ARCHWAY_S3_ENDPOINT;
  const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey, AWS_SESSION_TOKEN: sessionToken } = e;
  if (Boolean(accessKeyId) !== Boolean(secretAccessKey)) {
    const missing = accessKeyId ? 'AWS_SECRET_ACCESS_KEY' : 'AWS_ACCESS_KEY_ID';
    const partner = accessKeyId ? 'AWS_ACCESS_KEY_ID' : 'AWS_SECRET_ACCESS_KEY';
    throw new ConfigError(s3Config.process, [{ variable: missing, problem: `${missing} (or ${missing}_FILE) is not set while ${partner} is` }], s3Config.docs);
  }
  const credentials = accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) } : undefined;
  return { bucket, prefix, endpoint, region: e.ARCHWAY_S3_REGION, forcePathStyle: e.ARCHWAY_S3_FORCE_PATH_STYLE ?? Boolean(endpoint), credentials };
}
