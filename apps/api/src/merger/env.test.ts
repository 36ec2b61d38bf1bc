import type {} from '../../../../test/global-setup.ts';
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
      registry: { authFile: auth, insecureRegistries: ['127.0.0.1:5000', 'registry.lan'], caFile: undefined },
      concurrency: 2,
      platformConcurrency: 2,
      earlyPushes: 2,
      blobConcurrency: 4,
    });
  });

  it('names every bad variable at once', () => {
    expect(() =>
      loadMergerEnv({ ARCHWAY_MERGER_CONCURRENCY: 'many', ARCHWAY_MERGER_PLATFORM_CONCURRENCY: '0', ARCHWAY_MERGER_EARLY_PUSHES: '1.5', ARCHWAY_MERGER_BLOB_CONCURRENCY: '33', ARCHWAY_REGISTRY_CA_FILE: '/nonexistent/ca.pem', ARCHWAY_QUEUE_PREFIX: 'a b', HOME: '/nonexistent' }),
    ).toThrow(
      'invalid merger configuration: REDIS_URL is required (redis://host:6379); ARCHWAY_QUEUE_PREFIX: letters, digits, "_" and "-" only; ARCHWAY_OBJECT_STORE is required (file:///absolute/path or s3://bucket/prefix); ARCHWAY_REGISTRY_CA_FILE does not exist; ARCHWAY_MERGER_CONCURRENCY must be a number; ARCHWAY_MERGER_PLATFORM_CONCURRENCY must be 1 to 16; ARCHWAY_MERGER_EARLY_PUSHES must be a whole number; ARCHWAY_MERGER_BLOB_CONCURRENCY must be 1 to 32',
    );
  });
});
