import type {} from '../../../test/global-setup.ts';
import { randomUUID } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { FsObjectStore, type ByteRange } from '@archway/runtime';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { RegistryPool } from './registry/index.ts';
import { startFlakyProxy } from './registry/test-support/flaky-proxy.ts';
import { SMALL_JSON_LIMIT } from './archive-reader.ts';
import { BadArchiveError } from './errors.ts';
import { limiter, pushPlatform } from './push-platform.ts';
import { makeLayer, resultFor, writeTestArchive } from './test-support/oci-archive.ts';
import { AMD64 } from './test-support/platforms.ts';

const amd64 = { os: 'linux', architecture: 'amd64' };

/** A real filesystem store that records every read, to tell one pass from re-reads. */
class CountingStore extends FsObjectStore {
  reads: { key: string; range?: ByteRange }[] = [];
  override async get(key: string, range?: ByteRange): Promise<Readable> {
    this.reads.push({ key, range });
    return super.get(key, range);
  }
}

let host: string;
let store: CountingStore;
let pool: RegistryPool;

beforeAll(async () => {
  host = inject('registryHost');
  store = new CountingStore(await mkdtemp(join(inject('tmpRoot'), 'push-streamed-')));
  pool = new RegistryPool({ authFile: null, insecureRegistries: [host] });
});
afterAll(() => pool.close());

const rangedReadsOf = (key: string, size: number) => store.reads.filter((r) => r.key === key && r.range && r.range.end - r.range.start + 1 === size);

describe('large blobs: one read of the archive', () => {
  it('uploads every large layer straight from the scan, never reading it again, even with upload slots free', async () => {
    const repo = `me/one-pass-${randomUUID().slice(0, 8)}`;
    const large = [await makeLayer(SMALL_JSON_LIMIT * 3), await makeLayer(SMALL_JSON_LIMIT * 2)];
    const archive = await writeTestArchive(store, `${repo}/amd64.tar`, { platform: amd64, layers: [await makeLayer(), ...large] });
    store.reads = [];
    const client = await pool.client(host);
    const image = await pushPlatform({ store, client, repository: repo, result: resultFor(archive, AMD64, 't'), blobConcurrency: limiter(4) });
    expect(image.digest).toBe(archive.manifestDigest);
    for (const layer of large) {
      expect(await client.blobExists(repo, layer.digest)).toBe(true);
      expect(rangedReadsOf(archive.key, layer.data.length)).toHaveLength(0);
    }
    // One whole read; small blobs are read again by range, the large ones never.
    expect(store.reads.filter((r) => r.key === archive.key && !r.range)).toHaveLength(1);
  });

  it('fails on a streamed large layer whose content does not match its digest: the registry never gets it', async () => {
    const repo = `me/one-pass-bad-${randomUUID().slice(0, 8)}`;
    const large = await makeLayer(SMALL_JSON_LIMIT * 2);
    const archive = await writeTestArchive(store, `${repo}/amd64.tar`, { platform: amd64, layers: [large, await makeLayer()], corruptLayer: true });
    const client = await pool.client(host);
    const err = await pushPlatform({ store, client, repository: repo, result: resultFor(archive, AMD64, 't'), blobConcurrency: limiter(4) }).then(
      () => null,
      (e: Error) => e,
    );
    expect(err).toBeInstanceOf(BadArchiveError);
    expect(err!.message).toMatch(new RegExp(`^blob ${large.digest} in the archive has content with digest sha256:[0-9a-f]{64}$`));
    expect(await client.blobExists(repo, large.digest)).toBe(false);
    expect(await client.getManifest(repo, archive.manifestDigest)).toBeNull();
  });

  it('reads a streamed large layer again by range when its upload fails with a retryable error', async () => {
    const proxy = await startFlakyProxy(host);
    const flakyPool = new RegistryPool({ authFile: null, insecureRegistries: [proxy.host], retryBaseMs: 5 });
    try {
      const repo = `me/one-pass-flaky-${randomUUID().slice(0, 8)}`;
      const large = await makeLayer(SMALL_JSON_LIMIT * 2);
      const archive = await writeTestArchive(store, `${repo}/amd64.tar`, { platform: amd64, layers: [large] });
      // The first PUT of the large layer (the one-pass one) fails; the re-read one goes through.
      let puts = 0;
      proxy.failWith = (req) => {
        const isLargePut = req.method === 'PUT' && req.url?.includes(encodeURIComponent(large.digest));
        return isLargePut && puts++ === 0 ? 503 : null;
      };
      store.reads = [];
      const client = await flakyPool.client(proxy.host);
      await pushPlatform({ store, client, repository: repo, result: resultFor(archive, AMD64, 't'), blobConcurrency: limiter(4) });
      expect(puts).toBe(2);
      expect(rangedReadsOf(archive.key, large.data.length)).toHaveLength(1);
      expect(await (await pool.client(host)).blobExists(repo, large.digest)).toBe(true);
    } finally {
      await flakyPool.close();
      await proxy.close();
    }
  });
});
