import { readFileSync } from 'node:fs';
import type { S3ObjectStoreOptions } from './s3-object-store.ts';

type Env = Record<string, string | undefined>;

/**
 * `s3://bucket/optional/prefix` + environment → S3ObjectStore options. The variables are listed
 * in packages/shared/runtime/ENV-S3.md. Synchronous so createObjectStore stays synchronous.
 */
export function s3OptionsFromUrl(url: string, env: Env = process.env): S3ObjectStoreOptions {
  if (!url.startsWith('s3://')) throw new Error(`object store URL "${url}" is not an s3:// URL`);
  const rest = url.slice('s3://'.length);
  const slash = rest.indexOf('/');
  const bucket = slash === -1 ? rest : rest.slice(0, slash);
  const prefix = slash === -1 ? '' : rest.slice(slash + 1);
  // Lenient on purpose: some self-hosted stores accept legacy names AWS no longer does.
  if (!/^[A-Za-z0-9._-]{3,63}$/.test(bucket)) {
    throw new Error(`object store URL "${url}": "${bucket}" is not a valid bucket name (3-63 characters: letters, digits, '.', '-', '_')`);
  }

  const endpoint = nonEmpty(env.ARCHWAY_S3_ENDPOINT);
  if (endpoint && !/^https?:\/\/[^/]/.test(endpoint)) {
    throw new Error(`ARCHWAY_S3_ENDPOINT must be an http:// or https:// URL, got "${endpoint}"`);
  }
  const region = nonEmpty(env.ARCHWAY_S3_REGION) ?? 'us-east-1';
  const forcePathStyle = parseBool('ARCHWAY_S3_FORCE_PATH_STYLE', env.ARCHWAY_S3_FORCE_PATH_STYLE) ?? Boolean(endpoint);

  const accessKeyId = secretFromEnv(env, 'AWS_ACCESS_KEY_ID');
  const secretAccessKey = secretFromEnv(env, 'AWS_SECRET_ACCESS_KEY');
  const sessionToken = secretFromEnv(env, 'AWS_SESSION_TOKEN');
  if (Boolean(accessKeyId) !== Boolean(secretAccessKey)) {
    const missing = accessKeyId ? 'AWS_SECRET_ACCESS_KEY' : 'AWS_ACCESS_KEY_ID';
    throw new Error(`S3 credentials: ${missing} (or ${missing}_FILE) is not set while its partner is`);
  }
  const credentials = accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) } : undefined;

  return { bucket, prefix, endpoint, region, forcePathStyle, credentials };
}

/** `NAME` or `NAME_FILE` (a mounted Kubernetes secret); never both. Trailing newlines trimmed. */
export function secretFromEnv(env: Env, name: string): string | undefined {
  const direct = nonEmpty(env[name]);
  const file = nonEmpty(env[`${name}_FILE`]);
  if (direct && file) throw new Error(`set either ${name} or ${name}_FILE, not both`);
  if (!file) return direct;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`${name}_FILE: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const value = text.replace(/[\r\n]+$/, '');
  if (!value) throw new Error(`${name}_FILE: ${file} is empty`);
  return value;
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

function parseBool(name: string, v: string | undefined): boolean | undefined {
  const s = nonEmpty(v)?.toLowerCase();
  if (s === undefined) return undefined;
  if (['1', 'true', 'yes', 'on'].includes(s)) return true;
  if (['0', 'false', 'no', 'off'].includes(s)) return false;
  throw new Error(`${name} must be true or false, got "${v}"`);
}
