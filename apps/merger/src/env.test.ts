import type {} from '../../../test/global-setup.ts';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { loadMergerEnv } from './env.ts';

describe('loadMergerEnv', () => {
  it('applies defaults and finds the auth file', async () => {
    const home = await mkdtemp(join(inject('tmpRoot'), 'merger-env-'));
    const auth = join(home, 'auth.json');
    await writeFile(auth, '{}');
    const config = loadMergerEnv({
      REDIS_URL: 'redis://127.0.0.1:6379',
      ARCHWAY_OBJECT_STORE: 'file:///data/objects',
      REGISTRY_AUTH_FILE: auth,
      ARCHWAY_INSECURE_REGISTRIES: ' 127.0.0.1:5000, registry.lan ,',
      HOME: home,
    });
    expect(config).toEqual({
      redisUrl: 'redis://127.0.0.1:6379',
      prefix: 'archway',
      objectStore: 'file:///data/objects',
      registry: { authFile: auth, insecureRegistries: ['127.0.0.1:5000', 'registry.lan'], caFile: undefined, credentialHelperTimeoutMs: 10_000 },
      concurrency: 2,
      platformConcurrency: 2,
      earlyPushes: 2,
      blobConcurrency: 4,
      logLevel: 'info',
      metricsPushMs: 10_000,
    });
  });

  it('names every bad variable at once', () => {
    expect(() =>
      loadMergerEnv({
        ARCHWAY_MERGER_CONCURRENCY: 'many',
        ARCHWAY_MERGER_PLATFORM_CONCURRENCY: '0',
        ARCHWAY_MERGER_EARLY_PUSHES: '1.5',
        ARCHWAY_MERGER_BLOB_CONCURRENCY: '33',
        ARCHWAY_REGISTRY_CA_FILE: '/nonexistent/ca.pem',
        ARCHWAY_QUEUE_PREFIX: 'a b',
        HOME: '/nonexistent',
      }),
    ).toThrow(
      [
        'invalid merger configuration:',
        '  - REDIS_URL: is required',
        '  - ARCHWAY_QUEUE_PREFIX: may contain letters, digits, "_", "." and "-"',
        '  - ARCHWAY_OBJECT_STORE: is required (file:///absolute/path or s3://bucket/prefix)',
        '  - ARCHWAY_REGISTRY_CA_FILE: does not exist',
        '  - ARCHWAY_MERGER_CONCURRENCY: must be a number',
        '  - ARCHWAY_MERGER_PLATFORM_CONCURRENCY: must be between 1 and 16',
        '  - ARCHWAY_MERGER_EARLY_PUSHES: must be a whole number',
        '  - ARCHWAY_MERGER_BLOB_CONCURRENCY: must be between 1 and 32',
      ].join('\n'),
    );
  });

  it('takes the prefixes the API and agents take, and refuses an object store it cannot use before starting', () => {
    const base = { REDIS_URL: 'redis://127.0.0.1:6379', HOME: '/nonexistent' };
    expect(loadMergerEnv({ ...base, ARCHWAY_OBJECT_STORE: 'file:///data/objects', ARCHWAY_QUEUE_PREFIX: 'archway.prod' }).prefix).toBe('archway.prod');
    expect(() => loadMergerEnv({ ...base, ARCHWAY_OBJECT_STORE: 'ftp://host/x' })).toThrow(
      'invalid merger configuration:\n  - ARCHWAY_OBJECT_STORE: unsupported object store "ftp://host/x": use file:///absolute/path or s3://bucket/prefix',
    );
    expect(() => loadMergerEnv({ ...base, ARCHWAY_OBJECT_STORE: 's3://builds/x', ARCHWAY_S3_ENDPOINT: 'minio:9000' })).toThrow(
      'invalid merger configuration:\n  - ARCHWAY_S3_ENDPOINT: must be an http:// or https:// URL, got "minio:9000"',
    );
  });
});
