import type {} from '../../../test/global-setup.ts';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { FsObjectStore } from '@archway/runtime';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { rssTracker } from '../../../test/support/object-store-helpers.ts';
import { RegistryPool } from './registry/index.ts';
import { publishBuild } from './publish.ts';
import { resultFor } from './test-support/oci-archive.ts';
import { writeLargeArchive } from './test-support/large-archive.ts';
import { skopeoRaw } from './test-support/tools.ts';
import { AMD64 } from './test-support/platforms.ts';

const LAYER = 256 * 1024 * 1024;
let dir: string;
let store: FsObjectStore;
let pool: RegistryPool;

beforeAll(async () => {
  dir = await mkdtemp(join(inject('tmpRoot'), 'publish-large-'));
  store = new FsObjectStore(dir);
  pool = new RegistryPool({ authFile: null, insecureRegistries: [inject('registryHost')] });
});
afterAll(async () => {
  await pool.close();
  await rm(dir, { recursive: true, force: true });
});

it('publishes a 256 MiB layer with flat memory', async () => {
  const host = inject('registryHost');
  const archive = await writeLargeArchive(store, 'large.tar', { os: 'linux', architecture: 'amd64' }, LAYER);
  expect(archive.size).toBeGreaterThan(LAYER);

  // Peaks over a baseline, with a full GC at every sample (20 ms): what the merger holds, not
  // how late V8 collects the chunks it streamed.
  const rss = rssTracker(1);
  const baselineBuffers = process.memoryUsage().arrayBuffers;
  let peakBuffers = baselineBuffers;
  const sample = () => {
    rss.sample();
    peakBuffers = Math.max(peakBuffers, process.memoryUsage().arrayBuffers);
  };
  const sampler = setInterval(sample, 20);
  try {
    await publishBuild({
      store,
      registries: pool,
      job: { buildId: randomUUID(), image: `${host}/me/large`, tags: ['latest'], push: true, platforms: [AMD64] },
      results: [resultFor(archive, AMD64, 't')],
    });
  } finally {
    clearInterval(sampler);
  }
  sample();
  // Holding the layer would cost 256 MiB; streaming needs a few chunks' worth.
  expect(peakBuffers - baselineBuffers).toBeLessThan(64 * 1024 * 1024);
  expect(rss.growthMiB(), 'RSS growth in MiB').toBeLessThan(96);
  expect((await (await pool.client(host)).stats).bytesUploaded).toBeGreaterThanOrEqual(LAYER);
  expect((await skopeoRaw(`${host}/me/large:latest`)).manifests[0].digest).toBe(archive.manifestDigest);
});
