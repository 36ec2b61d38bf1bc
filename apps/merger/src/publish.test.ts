import type {} from '../../../test/global-setup.ts';
import { createReadStream } from 'node:fs';
import { execFile } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { BuildResult, Platform, PublishJob } from '@archway/contract';
import { FsObjectStore } from '@archway/runtime';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { RegistryPool } from './registry/index.ts';
import { waitFor } from '../../../test/support/wait.ts';
import { startFlakyProxy } from './registry/test-support/flaky-proxy.ts';
import { publishBuild } from './publish.ts';
import { pushPlatform, type PlatformImage } from './push-platform.ts';
import { buildBusyboxArchive } from './test-support/buildah-archive.ts';
import { makeLayer, resultFor, writeTestArchive } from './test-support/oci-archive.ts';
import { skopeoConfig, skopeoRaw, skopeoTagExists } from './test-support/tools.ts';
import { AMD64, ARM64 } from './test-support/platforms.ts';

const run = promisify(execFile);
const amd64 = { os: 'linux', architecture: 'amd64' };
const arm64 = { os: 'linux', architecture: 'arm64' };
let host: string;
let dir: string;
let store: FsObjectStore;
let pool: RegistryPool;

beforeAll(async () => {
  host = inject('registryHost');
  dir = await mkdtemp(join(inject('tmpRoot'), 'publish-'));
  store = new FsObjectStore(join(dir, 'store'));
  pool = new RegistryPool({ authFile: null, insecureRegistries: [host] });
});
afterAll(() => pool.close());

function job(repo: string, tags: string[], platforms: Platform[]): PublishJob {
  return { buildId: randomUUID(), image: `${host}/${repo}`, tags, push: true, platforms };
}

describe('publishBuild', () => {
  it('publishes two platforms as one OCI index under every tag', async () => {
    const a = await writeTestArchive(store, 'two/amd64.tar', { platform: amd64 });
    const b = await writeTestArchive(store, 'two/arm64.tar', { platform: arm64 });
    const results = [resultFor(b, ARM64, 't-arm'), resultFor(a, AMD64, 't-amd')];
    const out = await publishBuild({ store, registries: pool, job: job('me/two', ['1.0', 'latest'], [AMD64, ARM64]), results });

    for (const tag of ['1.0', 'latest']) {
      const index = await skopeoRaw(`${host}/me/two:${tag}`);
      expect(index.mediaType).toBe('application/vnd.oci.image.index.v1+json');
      expect(index.manifests).toEqual([
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest: a.manifestDigest,
          size: expect.any(Number),
          platform: { architecture: 'amd64', os: 'linux' },
        },
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest: b.manifestDigest,
          size: expect.any(Number),
          platform: { architecture: 'arm64', os: 'linux' },
        },
      ]);
    }
    const byDigest = await skopeoRaw(`${host}/me/two@${out.indexDigest}`);
    expect(byDigest.manifests).toHaveLength(2);
    expect((await skopeoConfig(`${host}/me/two@${a.manifestDigest}`)).architecture).toBe('amd64');
    expect((await skopeoConfig(`${host}/me/two@${b.manifestDigest}`)).architecture).toBe('arm64');
  });

  it('does not upload blobs the registry already has, and mounts blobs pushed to another repository', async () => {
    const shared = await makeLayer();
    const a = await writeTestArchive(store, 'dedup/amd64.tar', { platform: amd64, layers: [shared, await makeLayer()] });
    const first = new RegistryPool({ authFile: null, insecureRegistries: [host] });
    await publishBuild({ store, registries: first, job: job('me/dedup', ['a'], [AMD64]), results: [resultFor(a, AMD64, 't1')] });
    const firstStats = (await first.client(host)).stats;
    expect(firstStats.blobsUploaded).toBe(4); // 2 layers, config, manifest
    await first.close();

    // Same amd64 archive again plus an arm64 one sharing a layer: only arm64's own blobs travel.
    const b = await writeTestArchive(store, 'dedup/arm64.tar', { platform: arm64, layers: [shared, await makeLayer()] });
    const second = new RegistryPool({ authFile: null, insecureRegistries: [host] });
    await publishBuild({
      store,
      registries: second,
      job: job('me/dedup', ['b'], [AMD64, ARM64]),
      results: [resultFor(a, AMD64, 't1'), resultFor(b, ARM64, 't2')],
    });
    const client = await second.client(host);
    expect(client.stats.blobsUploaded).toBe(3); // arm64's new layer, config, manifest
    expect(client.stats.bytesUploaded).toBeLessThan(b.size);

    // The same client, another repository: everything it pushed before is mounted, nothing uploaded.
    const before = { ...client.stats };
    await publishBuild({ store, registries: second, job: job('me/dedup-copy', ['c'], [ARM64]), results: [resultFor(b, ARM64, 't2')] });
    expect(client.stats.blobsUploaded - before.blobsUploaded).toBe(0);
    expect(client.stats.blobsMounted - before.blobsMounted).toBe(4);
    expect((await skopeoRaw(`${host}/me/dedup-copy:c`)).manifests[0].digest).toBe(b.manifestDigest);
    await second.close();
  });

  it('uses a platform pushed early (pipelining) without reading its archive again', async () => {
    const a = await writeTestArchive(store, 'early/amd64.tar', { platform: amd64 });
    const b = await writeTestArchive(store, 'early/arm64.tar', { platform: arm64 });
    const repo = `me/early-${randomUUID().slice(0, 8)}`; // fresh: no tag from an earlier run
    const client = await pool.client(host);
    const early = await pushPlatform({ store, client, repository: repo, result: resultFor(a, AMD64, 't-amd') });
    expect(await skopeoTagExists(`${host}/${repo}:latest`)).toBe(false);
    await store.delete(a.key);
    const pushed = new Map<Platform, PlatformImage>([[AMD64, early]]);
    await publishBuild({
      store,
      registries: pool,
      job: job(repo, ['latest'], [AMD64, ARM64]),
      results: [resultFor(a, AMD64, 't-amd'), resultFor(b, ARM64, 't-arm')],
      pushed,
    });
    const index = await skopeoRaw(`${host}/${repo}:latest`);
    expect(index.manifests.map((m: any) => m.digest)).toEqual([a.manifestDigest, b.manifestDigest]);
  });

  it('reads a blob again by range when its streamed upload fails with a 5xx', async () => {
    const proxy = await startFlakyProxy(host);
    const flakyPool = new RegistryPool({ authFile: null, insecureRegistries: [proxy.host], retryBaseMs: 5 });
    try {
      let failed = 0;
      // The first blob PUT fails: its body is a stream, so the blob is read again from the store.
      proxy.failWith = (req) => (req.method === 'PUT' && req.url?.includes('/blobs/uploads/') && failed++ === 0 ? 503 : null);
      const a = await writeTestArchive(store, 'flaky/amd64.tar', { platform: amd64 });
      await publishBuild({
        store,
        registries: flakyPool,
        job: { ...job('me/flaky', ['latest'], [AMD64]), image: `${proxy.host}/me/flaky` },
        results: [resultFor(a, AMD64, 't')],
      });
      expect(failed).toBeGreaterThan(1);
      expect((await flakyPool.client(proxy.host)).stats.blobsUploaded).toBe(4);
      expect((await skopeoRaw(`${host}/me/flaky:latest`)).manifests[0].digest).toBe(a.manifestDigest);
    } finally {
      await flakyPool.close();
      await proxy.close();
    }
  });

  it('uploads blobs of a build in parallel, never more than the limit at once', async () => {
    const proxy = await startFlakyProxy(host);
    const proxied = new RegistryPool({ authFile: null, insecureRegistries: [proxy.host] });
    try {
      let inFlight = 0;
      let most = 0;
      let open: () => void = () => {};
      const latch = new Promise<void>((resolve) => (open = resolve));
      // An upload holds one of the client's slots from its HEAD (has the registry the blob?)
      // until its PUT is answered. Here it is in flight from its HEAD reaching the proxy until its
      // PUT's body is through: within that time, so never more than the client runs at once, and
      // as wide as the proxy sees, so that uploads over the limit do overlap.
      // A latch, no clock: no blob PUT goes on until two uploads are in flight at once, which
      // happens only if uploads run in parallel (one at a time, the first PUT waits for good).
      // After that every upload passes; the most in flight at once must be the limit (2).
      proxy.hold = (req) => {
        if (req.method === 'HEAD' && req.url?.includes('/blobs/sha256:')) {
          inFlight++;
          most = Math.max(most, inFlight);
          if (inFlight >= 2) open();
          return null;
        }
        if (req.method === 'PUT' && req.url?.includes('/blobs/uploads/')) {
          req.once('end', () => inFlight--);
          return latch;
        }
        return null;
      };
      const layers = () => Promise.all([makeLayer(), makeLayer(), makeLayer()]);
      const a = await writeTestArchive(store, 'parallel/amd64.tar', { platform: amd64, layers: await layers() });
      const b = await writeTestArchive(store, 'parallel/arm64.tar', { platform: arm64, layers: await layers() });
      const publishing = publishBuild({
        store,
        registries: proxied,
        blobConcurrency: 2,
        job: { ...job('me/parallel', ['latest'], [AMD64, ARM64]), image: `${proxy.host}/me/parallel` },
        results: [resultFor(a, AMD64, 't-amd'), resultFor(b, ARM64, 't-arm')],
      });
      publishing.catch(() => {}); // awaited below; a serial pusher never settles (held upload)
      // Uploads one at a time would leave the first one held for good: fail with that, not the test timeout.
      await waitFor(async () => most >= 2, 'two blob uploads in flight at once', 30_000);
      await publishing;
      expect(most).toBe(2);
      // Every upload was counted, from its HEAD to its PUT: 3 layers, config, manifest each.
      expect(proxy.seen.filter((r) => r.startsWith('HEAD ') && r.includes('/blobs/sha256:'))).toHaveLength(10);
      expect(proxy.seen.filter((r) => r.startsWith('PUT ') && r.includes('/blobs/uploads/'))).toHaveLength(10);
      expect((await proxied.client(proxy.host)).stats.blobsUploaded).toBe(10);
      expect((await skopeoRaw(`${host}/me/parallel:latest`)).manifests.map((m: any) => m.digest)).toEqual([a.manifestDigest, b.manifestDigest]);
    } finally {
      await proxy.close(); // first: it drops an upload still held, which the pool would wait for
      await proxied.close();
    }
  });

  it('publishes archives built by real buildah', async () => {
    const results: BuildResult[] = [];
    for (const platform of [AMD64, ARM64]) {
      const path = await buildBusyboxArchive(join(dir, 'buildah'), platform);
      const key = `buildah/${platform.replace('/', '-')}.tar`;
      const put = await store.put(key, createReadStream(path));
      const { stdout } = await run('tar', ['-xOf', path, 'index.json']);
      const manifestDigest = JSON.parse(stdout).manifests[0].digest;
      // No layout digest: the path of results from agents older than the merger (whole-archive sha256).
      results.push({ taskId: platform, platform, archiveKey: key, archiveSize: put.size, archiveDigest: put.digest, manifestDigest });
    }
    const out = await publishBuild({ store, registries: pool, job: job('me/busybox', ['v1'], [AMD64, ARM64]), results });
    const index = await skopeoRaw(`${host}/me/busybox:v1`);
    expect(index.manifests.map((m: any) => m.platform.architecture)).toEqual(['amd64', 'arm64']);
    expect(index.manifests.map((m: any) => m.digest)).toEqual(results.map((r) => r.manifestDigest));
    expect(out.images.map((i) => i.digest)).toEqual(results.map((r) => r.manifestDigest));
    for (const m of index.manifests) {
      const config = await skopeoConfig(`${host}/me/busybox@${m.digest}`);
      expect(config.architecture).toBe(m.platform.architecture);
      expect(config.os).toBe('linux');
    }
  });
});
