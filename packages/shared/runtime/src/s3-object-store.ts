// The AWS SDK costs ~40 MiB of heap and startup time: it is loaded (synchronously, so that
// createObjectStore stays synchronous) only when an S3 store is first used.
import type * as S3Sdk from '@aws-sdk/client-s3';
import type { ListObjectsV2CommandOutput, S3Client, S3ClientConfig } from '@aws-sdk/client-s3';
import type * as LibStorage from '@aws-sdk/lib-storage';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { checkObjectKey, digestingStream, ObjectNotFoundError, type ByteRange, type ObjectStore, type PutResult, type StoredObject } from './object-store.ts';

export interface S3ObjectStoreOptions {
  bucket: string;
  /** Prepended to every key, e.g. `archway/` (a trailing slash is added when missing). */
  prefix?: string;
  /** Base URL of an S3-compatible service; unset means AWS S3 itself. */
  endpoint?: string;
  region?: string;
  /** `http://host/bucket/key` instead of `http://bucket.host/key`; most self-hosted stores need it. */
  forcePathStyle?: boolean;
  /** Unset: the AWS SDK's default chain (env, shared config, IRSA web identity, instance role). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Multipart part size in bytes (min 5 MiB). Memory per upload ≈ (queueSize + 1) × partSize. */
  partSize?: number;
  /** Parts uploaded in parallel. */
  queueSize?: number;
  /** ListObjectsV2 MaxKeys (S3 caps it at 1000). */
  listPageSize?: number;
}

const MiB = 1024 * 1024;
const MAX_PARTS = 10_000;

const requireSdk = createRequire(import.meta.url);
let s3Sdk: typeof S3Sdk | undefined;
let libStorage: typeof LibStorage | undefined;
const sdk = () => (s3Sdk ??= requireSdk('@aws-sdk/client-s3') as typeof S3Sdk);
const storage = () => (libStorage ??= requireSdk('@aws-sdk/lib-storage') as typeof LibStorage);

/** Any S3-compatible store (AWS S3, MinIO, Ceph RGW, Garage, R2). Everything streams. */
export class S3ObjectStore implements ObjectStore {
  readonly bucket: string;
  readonly prefix: string;
  private readonly clientConfig: S3ClientConfig;
  private sdkClient: S3Client | undefined;
  private readonly partSize: number;
  private readonly queueSize: number;
  private readonly listPageSize: number;
  private readonly where: string;

  constructor(opts: S3ObjectStoreOptions) {
    if (!opts.bucket) throw new Error('S3 object store: a bucket name is required (s3://<bucket>/<prefix>)');
    this.bucket = opts.bucket;
    this.prefix = normalizePrefix(opts.prefix ?? '');
    this.partSize = Math.max(opts.partSize ?? 8 * MiB, 5 * MiB);
    this.queueSize = Math.max(opts.queueSize ?? 2, 1);
    this.listPageSize = opts.listPageSize ?? 1000;
    this.where = `s3://${this.bucket}/${this.prefix}${opts.endpoint ? ` at ${opts.endpoint}` : ''}`;
    this.clientConfig = {
      region: opts.region ?? 'us-east-1',
      endpoint: opts.endpoint,
      forcePathStyle: opts.forcePathStyle ?? Boolean(opts.endpoint),
      credentials: opts.credentials,
      // The SDK's default aws-chunked bodies with trailing checksums are stored corrupted by
      // several S3-compatible servers; plain bodies work everywhere.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    };
  }

  /** The SDK client, created (and the SDK loaded) on first use. */
  get client(): S3Client {
    return (this.sdkClient ??= new (sdk().S3Client)(this.clientConfig));
  }

  private fullKey(key: string): string {
    checkObjectKey(key);
    return this.prefix + key;
  }

  async putFile(key: string, path: string, opts: { signal?: AbortSignal } = {}): Promise<PutResult> {
    const { size } = await stat(path);
    return this.put(key, createReadStream(path, opts.signal ? { signal: opts.signal } : {}), { contentLength: size });
  }

  async put(key: string, body: Readable, opts: { contentLength?: number } = {}): Promise<PutResult> {
    const Key = this.fullKey(key);
    const digest = digestingStream();
    // pipeline() forwards a source error into `digest`, which fails the upload (and aborts the
    // multipart upload, so no partial object is left behind).
    const feeding = pipeline(body, digest);
    // Bigger parts only when the object would otherwise exceed S3's 10 000-part limit.
    const partSize = Math.max(this.partSize, Math.ceil((opts.contentLength ?? 0) / MAX_PARTS));
    const upload = new (storage().Upload)({
      client: this.client,
      params: { Bucket: this.bucket, Key, Body: digest },
      partSize,
      queueSize: this.queueSize,
      leavePartsOnError: false,
    });
    try {
      await Promise.all([upload.done(), feeding]);
    } catch (err) {
      body.destroy();
      digest.destroy();
      throw this.failure('put', key, err);
    }
    return digest.result();
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    try {
      const Range = range ? `bytes=${range.start}-${range.end}` : undefined;
      const res = await this.client.send(new (sdk().GetObjectCommand)({ Bucket: this.bucket, Key: this.fullKey(key), Range }));
      return res.Body as Readable;
    } catch (err) {
      if (errorName(err) === 'NoSuchKey') throw new ObjectNotFoundError(key);
      throw this.failure('get', key, err);
    }
  }

  async head(key: string): Promise<StoredObject | null> {
    try {
      const res = await this.client.send(new (sdk().HeadObjectCommand)({ Bucket: this.bucket, Key: this.fullKey(key) }));
      return { key, size: res.ContentLength ?? 0, lastModified: res.LastModified ?? new Date(0) };
    } catch (err) {
      // HEAD responses carry no error body: a 404 is all S3 tells us.
      if (errorName(err) === 'NotFound' || statusOf(err) === 404) return null;
      throw this.failure('head', key, err);
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await this.client.send(new (sdk().DeleteObjectCommand)({ Bucket: this.bucket, Key: this.fullKey(key) }));
    } catch (err) {
      throw this.failure('delete', key, err);
    }
  }

  async *list(prefix: string): AsyncIterable<StoredObject> {
    let token: string | undefined;
    do {
      let page: ListObjectsV2CommandOutput;
      try {
        page = await this.client.send(
          new (sdk().ListObjectsV2Command)({ Bucket: this.bucket, Prefix: this.prefix + prefix, MaxKeys: this.listPageSize, ContinuationToken: token }),
        );
      } catch (err) {
        throw this.failure('list', prefix, err);
      }
      for (const o of page.Contents ?? []) {
        if (!o.Key) continue;
        yield { key: o.Key.slice(this.prefix.length), size: o.Size ?? 0, lastModified: o.LastModified ?? new Date(0) };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  /** Closes pooled connections. */
  destroy(): void {
    this.sdkClient?.destroy();
    this.sdkClient = undefined;
  }

  private failure(op: string, key: string, err: unknown): Error {
    if (err instanceof ObjectNotFoundError) return err;
    const name = errorName(err);
    const message = err instanceof Error ? err.message : String(err);
    const status = statusOf(err);
    // No `cause`: the SDK error carries the raw request (signed headers) into whatever logs it.
    return new Error(
      `object store ${this.where}: ${op} "${key}" failed: ${name ? `${name}: ` : ''}${message}${status ? ` (HTTP ${status})` : ''}${hintFor(name, err)}`,
    );
  }
}

function normalizePrefix(prefix: string): string {
  const p = prefix.replace(/^\/+|\/+$/g, '');
  if (!p) return '';
  checkObjectKey(p);
  return `${p}/`;
}

function errorName(err: unknown): string | undefined {
  return err && typeof err === 'object' && 'name' in err ? String((err as { name: unknown }).name) : undefined;
}

function statusOf(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
}

function hintFor(name: string | undefined, err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (name === 'NoSuchBucket') return ' (create the bucket, or fix the bucket in the s3:// URL)';
  if (name === 'InvalidAccessKeyId' || name === 'SignatureDoesNotMatch' || name === 'AccessDenied' || name === 'CredentialsProviderError') {
    return ' (check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or their *_FILE variants)';
  }
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') return ' (is ARCHWAY_S3_ENDPOINT right and reachable?)';
  return '';
}
