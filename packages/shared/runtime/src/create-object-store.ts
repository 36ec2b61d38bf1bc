import { FsObjectStore } from './fs-object-store.ts';
import type { ObjectStore } from './object-store.ts';
import { S3ObjectStore } from './s3-object-store.ts';
import { s3OptionsFromUrl } from './s3-settings.ts';

/**
 * `file:///path` or a plain path → filesystem store; `s3://bucket/optional/prefix` → S3 store
 * configured from the environment (ARCHWAY_S3_*, AWS_* — see packages/shared/runtime/ENV-S3.md).
 */
export function createObjectStore(url: string, env: Record<string, string | undefined> = process.env): ObjectStore {
  if (url.startsWith('file://')) return new FsObjectStore(new URL(url).pathname);
  if (url.startsWith('/')) return new FsObjectStore(url);
  if (url.startsWith('s3://')) return new S3ObjectStore(s3OptionsFromUrl(url, env));
  throw new Error(`unsupported object store "${url}": use file:///absolute/path or s3://bucket/prefix`);
}
