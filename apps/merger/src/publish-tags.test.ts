import type {} from '../../../test/global-setup.ts';
import { randomUUID } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { FsObjectStore } from '@archway/runtime';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { RegistryPool } from './registry/index.ts';
import { startFlakyProxy, type FlakyProxy } from './registry/test-support/flaky-proxy.ts';
import { publishBuild } from './publish.ts';
import { resultFor, writeTestArchive } from './test-support/oci-archive.ts';
import { skopeoDigest, skopeoTagExists } from './test-support/tools.ts';
import { AMD64 } from './test-support/platforms.ts';

describe('publishBuild: the tags, last', () => {
  let store: FsObjectStore;
  let proxy: FlakyProxy;
  let pool: RegistryPool;

  beforeAll(async () => {
    store = new FsObjectStore(await mkdtemp(join(inject('tmpRoot'), 'publish-tags-')));
    proxy = await startFlakyProxy(inject('registryHost'));
    pool = new RegistryPool({ authFile: null, insecureRegistries: [proxy.host], retries: 0, retryBaseMs: 5 });
  });
  afterAll(async () => {
    await pool?.close();
    await proxy?.close();
  });

  async function build(tags: string[]) {
    const repo = `tags/${randomUUID().slice(0, 8)}`;
    const archive = await writeTestArchive(store, `archives/${repo}.tar`, { platform: { os: 'linux', architecture: 'amd64' } });
    const job = { buildId: randomUUID(), image: `${proxy.host}/${repo}`, tags, push: true, platforms: [AMD64] };
    return { repo, job, results: [resultFor(archive, AMD64, randomUUID())] };
  }

  it('stops before the first tag when beforeTags throws: the index exists by digest only', async () => {
    const { repo, job, results } = await build(['1.0', 'latest']);
    let indexDigest: string | undefined;
    const err = await publishBuild({
      store,
      registries: pool,
      job,
      results,
      hooks: {
        beforeTags: () => {
          indexDigest = proxy.seen
            .filter((r) => r.startsWith(`PUT /v2/${repo}/manifests/sha256:`))
            .at(-1)
            ?.split('/manifests/')[1];
          throw new Error('canceled');
        },
      },
    }).catch((e) => e);
    expect(err.message).toBe('canceled');
    expect(indexDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
    const byDigest = await fetch(`http://${inject('registryHost')}/v2/${repo}/manifests/${indexDigest}`, {
      method: 'HEAD',
      headers: { accept: 'application/vnd.oci.image.index.v1+json' },
    });
    expect(byDigest.status).toBe(200);
    for (const tag of job.tags) expect(await skopeoTagExists(`${inject('registryHost')}/${repo}:${tag}`)).toBe(false);
  });

  it('names the tags that already moved when the registry refuses a later one', async () => {
    const { repo, job, results } = await build(['1.0', 'immutable', 'latest']);
    proxy.failWith = (req) => (req.method === 'PUT' && req.url === `/v2/${repo}/manifests/immutable` ? 400 : null);
    try {
      const err = await publishBuild({ store, registries: pool, job, results }).catch((e) => e);
      const moved = await skopeoDigest(`${inject('registryHost')}/${repo}:1.0`);
      expect(err.message).toBe(`registry ${proxy.host} rejected manifest immutable for ${repo}: 400 injected failure (tags already moved to ${moved}: 1.0)`);
      expect(await skopeoTagExists(`${inject('registryHost')}/${repo}:latest`)).toBe(false);
    } finally {
      proxy.failWith = () => null;
    }
  });
});
