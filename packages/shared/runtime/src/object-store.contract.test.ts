// One set of behaviours, run against every ObjectStore implementation so they cannot drift.
import type {} from '../../../../test/global-setup.ts';
import { randomUUID } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startS3, type TestS3 } from '../../../../test/harness/s3.ts';
import { failingStream, sha256Hex, textOf } from '../../../../test/support/object-store-helpers.ts';
import { createObjectStore } from './create-object-store.ts';
import { ObjectNotFoundError, readableFrom, type ObjectStore } from './object-store.ts';
import { S3ObjectStore } from './s3-object-store.ts';

let s3: TestS3;
beforeAll(async () => {
  s3 = await startS3({ dir: join(inject('tmpRoot'), `s3-contract-${randomUUID()}`) });
});
afterAll(async () => {
  await s3?.stop();
});

const stores: Array<[string, () => ObjectStore]> = [
  ['FsObjectStore', () => createObjectStore(join(inject('tmpRoot'), `fs-contract-${randomUUID()}`))],
  // A key prefix, so the S3 store must strip it again when listing.
  ['S3ObjectStore', () => createObjectStore(`s3://${s3.bucket}/contract-${randomUUID().slice(0, 8)}`, s3.env)],
];

describe.each(stores)('ObjectStore contract: %s', (_name, make) => {
  let store: ObjectStore;
  beforeAll(() => {
    store = make();
  });
  afterAll(() => {
    if (store instanceof S3ObjectStore) store.destroy();
  });

  it('round-trips bytes and reports their size and sha256', async () => {
    const body = 'hello archway\n'.repeat(1000);
    const put = await store.put('archives/b1/linux-amd64.tar', readableFrom(body));
    expect(put).toEqual({ size: body.length, digest: sha256Hex(body) });
    expect(await textOf(await store.get('archives/b1/linux-amd64.tar'))).toBe(body);
    const head = await store.head('archives/b1/linux-amd64.tar');
    expect(head).toMatchObject({ key: 'archives/b1/linux-amd64.tar', size: body.length });
    expect(head!.lastModified).toBeInstanceOf(Date);
  });

  it('stores a local file, which may then be deleted, with its size and sha256', async () => {
    const dir = join(inject('tmpRoot'), `putfile-${randomUUID()}`);
    await mkdir(dir, { recursive: true });
    const body = 'layer bytes\n'.repeat(200_000);
    await writeFile(join(dir, 'image.tar'), body);
    const put = await store.putFile('archives/b2/linux-arm64.tar', join(dir, 'image.tar'));
    expect(put).toEqual({ size: body.length, digest: sha256Hex(body) });
    // The agent removes its work dir right after: the object must not go with it.
    await rm(dir, { recursive: true });
    expect(await textOf(await store.get('archives/b2/linux-arm64.tar'))).toBe(body);
    await expect(store.putFile('archives/b2/missing.tar', join(dir, 'image.tar'))).rejects.toThrow(/ENOENT/);
    expect(await store.head('archives/b2/missing.tar')).toBeNull();
  });

  it('reads a byte range (inclusive), e.g. one blob of an archive', async () => {
    const body = Array.from({ length: 5000 }, (_, i) => String(i % 10)).join('');
    await store.put('archives/b1/ranged.tar', readableFrom(body));
    expect(await textOf(await store.get('archives/b1/ranged.tar', { start: 1234, end: 2345 }))).toBe(body.slice(1234, 2346));
    expect(await textOf(await store.get('archives/b1/ranged.tar', { start: 4999, end: 4999 }))).toBe(body.slice(4999));
    await expect(store.get('archives/b1/none.tar', { start: 0, end: 1 })).rejects.toBeInstanceOf(ObjectNotFoundError);
  });

  it('stores an empty object', async () => {
    expect(await store.put('logs/empty.log', readableFrom(''))).toEqual({ size: 0, digest: sha256Hex('') });
    expect(await textOf(await store.get('logs/empty.log'))).toBe('');
    expect(await store.head('logs/empty.log')).toMatchObject({ size: 0 });
  });

  it('overwrites an existing key', async () => {
    await store.put('over/x', readableFrom('first version'));
    await store.put('over/x', readableFrom('second'));
    expect(await textOf(await store.get('over/x'))).toBe('second');
    expect((await store.head('over/x'))!.size).toBe(6);
  });

  it('throws ObjectNotFoundError for a missing key and heads it as null', async () => {
    const err = await store.get('nope/missing.tar').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ObjectNotFoundError);
    expect((err as ObjectNotFoundError).key).toBe('nope/missing.tar');
    expect(await store.head('nope/missing.tar')).toBeNull();
  });

  it('deletes, and deleting a missing key is not an error', async () => {
    await store.put('del/a', readableFrom('a'));
    await store.delete('del/a');
    expect(await store.head('del/a')).toBeNull();
    await expect(store.get('del/a')).rejects.toBeInstanceOf(ObjectNotFoundError);
    await expect(store.delete('del/a')).resolves.toBeUndefined();
  });

  it('lists by string prefix with store-relative keys and sizes', async () => {
    for (const k of ['ls/b1/amd64', 'ls/b1/arm64', 'ls/b10/amd64', 'ls/c/x']) await store.put(k, readableFrom(k));
    const list = async (prefix: string) => {
      const out: Array<[string, number]> = [];
      for await (const o of store.list(prefix)) out.push([o.key, o.size]);
      return out.sort(([a], [b]) => (a < b ? -1 : 1));
    };
    expect(await list('ls/b1/')).toEqual([
      ['ls/b1/amd64', 11],
      ['ls/b1/arm64', 11],
    ]);
    expect((await list('ls/b1')).map(([k]) => k)).toEqual(['ls/b1/amd64', 'ls/b1/arm64', 'ls/b10/amd64']);
    expect(await list('ls/none/')).toEqual([]);
  });

  it('rejects keys that could escape the store', async () => {
    for (const bad of ['../x', '/abs', 'a//b', 'a/./b', '']) {
      await expect(store.put(bad, readableFrom('x'))).rejects.toThrow(/invalid object key/);
      await expect(store.get(bad)).rejects.toThrow(/invalid object key/);
    }
  });

  it('leaves no object behind when the source stream fails mid-way', async () => {
    // 12 MiB: past the S3 store's first multipart part, so a multipart upload is under way.
    await expect(store.put('fail/half.tar', failingStream(12 * 1024 * 1024, 'disk went away'))).rejects.toThrow(/disk went away/);
    expect(await store.head('fail/half.tar')).toBeNull();
    const left: string[] = [];
    for await (const o of store.list('fail/')) left.push(o.key);
    expect(left).toEqual([]);
  });
});
