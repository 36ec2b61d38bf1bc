import type {} from '../../../../test/global-setup.ts';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startS3, type TestS3 } from '../../../../test/harness/s3.ts';
import { pseudoRandomStream, rssTracker, sha256Of, textOf } from '../../../../test/support/object-store-helpers.ts';
import { createObjectStore } from './create-object-store.ts';
import { ObjectNotFoundError, readableFrom } from './object-store.ts';
import { S3ObjectStore, type S3ObjectStoreOptions } from './s3-object-store.ts';

const MB = 1024 * 1024;
let s3: TestS3;
const stores: S3ObjectStore[] = [];

function store(opts: Partial<S3ObjectStoreOptions> = {}): S3ObjectStore {
  const s = new S3ObjectStore({
    bucket: s3.bucket,
    endpoint: s3.endpoint,
    region: s3.region,
    forcePathStyle: true,
    credentials: s3.credentials,
    prefix: `t-${randomUUID().slice(0, 8)}`,
    ...opts,
  });
  stores.push(s);
  return s;
}

beforeAll(async () => {
  s3 = await startS3({ dir: join(inject('tmpRoot'), `s3-${randomUUID()}`) });
});
afterAll(async () => {
  for (const s of stores) s.destroy();
  await s3?.stop();
});

describe('S3ObjectStore against a real s3rver process', () => {
  it('streams a 100 MB object in and out byte for byte, with flat memory', async () => {
    const s = store();
    // Warm up the client (module code, sockets) so it does not count as growth.
    await s.put('warm', readableFrom('x'));
    await textOf(await s.get('warm'));

    const size = 100 * MB;
    const rss = rssTracker();
    const src = pseudoRandomStream(size, { onChunk: rss.sample });
    const put = await s.put('big/archive.tar', src.stream, { contentLength: size });
    expect(put).toEqual({ size, digest: src.digest() });
    expect((await s.head('big/archive.tar'))!.size).toBe(size);

    const out = await sha256Of(await s.get('big/archive.tar'), rss.sample);
    expect(out).toEqual({ size, digest: src.digest() });

    // Default parts: 8 MiB, 2 in flight, so ~40 MiB live at most. A store that buffered the
    // object anywhere would hold >= 100 MiB.
    const growth = rss.growthMiB();
    expect(growth, `RSS grew by ${growth.toFixed(1)} MiB while streaming ${size / MB} MiB`).toBeLessThan(60);
  });

  it('keeps keys under the configured prefix and strips it when listing', async () => {
    const prefix = `pfx-${randomUUID().slice(0, 8)}/nested`;
    const s = store({ prefix });
    const raw = store({ prefix: '' });
    await s.put('logs/b1/linux-arm64.log', readableFrom('line\n'));
    expect(await raw.head(`${prefix}/logs/b1/linux-arm64.log`)).toMatchObject({ size: 5 });
    expect(await raw.head('logs/b1/linux-arm64.log')).toBeNull();
    const keys: string[] = [];
    for await (const o of s.list('logs/')) keys.push(o.key);
    expect(keys).toEqual(['logs/b1/linux-arm64.log']);
  });

  it('lists a prefix across many pages', async () => {
    const s = store({ listPageSize: 3 });
    const wanted = Array.from({ length: 11 }, (_, i) => `archives/b7/p${String(i).padStart(2, '0')}.tar`);
    for (const k of [...wanted, 'archives/b8/other.tar', 'logs/b7/x.log']) await s.put(k, readableFrom(k));
    // Count the requests, so a store that ignored MaxKeys or stopped after one page would fail.
    let pages = 0;
    s.client.middlewareStack.add(
      (next, ctx) => async (args) => {
        if (ctx.commandName === 'ListObjectsV2Command') pages++;
        return next(args);
      },
      { step: 'initialize', name: 'countPages' },
    );
    const got: string[] = [];
    for await (const o of s.list('archives/b7/')) got.push(o.key);
    expect(got).toEqual(wanted);
    expect(pages).toBe(4);
  });

  it('throws ObjectNotFoundError for a missing key, and deletes', async () => {
    const s = store();
    await expect(s.get('archives/none.tar')).rejects.toBeInstanceOf(ObjectNotFoundError);
    await s.put('archives/gone.tar', readableFrom('bytes'));
    await s.delete('archives/gone.tar');
    await expect(s.get('archives/gone.tar')).rejects.toBeInstanceOf(ObjectNotFoundError);
    expect(await s.head('archives/gone.tar')).toBeNull();
  });

  it('is what createObjectStore returns for s3:// URLs, configured from env', async () => {
    const s = createObjectStore(`s3://${s3.bucket}/from-env`, s3.env);
    expect(s).toBeInstanceOf(S3ObjectStore);
    stores.push(s as S3ObjectStore);
    await s.put('a/b', readableFrom('via env'));
    expect(await textOf(await s.get('a/b'))).toBe('via env');
  });

  it('names the problem, never the secret, when credentials are wrong', async () => {
    // s3rver checks the access key id but not V4 signatures, so the key id is what is wrong here.
    const secret = `wrong-secret-${randomUUID()}`;
    const s = store({ credentials: { accessKeyId: 'NOT-A-KEY', secretAccessKey: secret } });
    const err = (await s.put('x', readableFrom('x')).catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toMatch(/put "x" failed: InvalidAccessKeyId: .*\(HTTP 403\)/);
    expect(err.message).toMatch(/AWS_SECRET_ACCESS_KEY/);
    expect(err.message).not.toContain(secret);
  });

  it('points at the endpoint when nothing listens there', async () => {
    const s = store({ endpoint: 'http://127.0.0.1:9' });
    await expect(s.head('x')).rejects.toThrow(/head "x" failed: .*ECONNREFUSED.*ARCHWAY_S3_ENDPOINT/);
  });

  it('says which bucket is missing', async () => {
    const s = store({ bucket: 'no-such-bucket' });
    await expect(s.get('x')).rejects.toThrow(/s3:\/\/no-such-bucket\/.*NoSuchBucket.*create the bucket/);
  });
});
