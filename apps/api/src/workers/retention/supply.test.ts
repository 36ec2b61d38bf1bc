import type {} from '../../../../../test/global-setup.ts';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { PrismaPg } from '@prisma/adapter-pg';
import { objectKeys } from '@archway/contract';
import { FsObjectStore, readableFrom, S3ObjectStore, type ObjectStore } from '@archway/runtime';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startS3, type TestS3 } from '../../../../../test/harness/s3.ts';
import { createTestDatabase } from '../../../../../test/support/db.ts';
import { PrismaClient } from '../../generated/prisma/client.ts';
import { runRetention } from './run.ts';
import { DAY, exists, memoryLog, PLATFORMS, POLICY, seedBuild } from './test-support.ts';

let s3: TestS3;
beforeAll(async () => {
  s3 = await startS3({ dir: join(inject('tmpRoot'), `s3-retention-supply-${randomUUID()}`) });
});
afterAll(async () => {
  await s3?.stop();
});

const stores: Array<[string, () => ObjectStore]> = [
  ['FsObjectStore', () => new FsObjectStore(join(inject('tmpRoot'), `fs-retention-supply-${randomUUID()}`))],
  [
    'S3ObjectStore',
    () => new S3ObjectStore({ bucket: s3.bucket, prefix: `retention-supply-${randomUUID().slice(0, 8)}`, endpoint: s3.endpoint, credentials: s3.credentials }),
  ],
];

/** The SBOM and provenance keys of every platform of a build (what agent and merger store). */
const supplyKeys = (buildId: string) => PLATFORMS.flatMap((p) => [objectKeys.sbom(buildId, p), objectKeys.provenance(buildId, p)]);

describe.each(stores)('retention of supply-chain objects with %s', (_name, makeStore) => {
  let prisma: PrismaClient;
  let store: ObjectStore;
  const now = new Date();
  const orphan = `supply/${randomUUID()}/linux-amd64.spdx.json`;

  beforeAll(async () => {
    prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: await createTestDatabase() }) });
    store = makeStore();
  });
  afterAll(async () => {
    await prisma?.$disconnect();
    if (store instanceof S3ObjectStore) store.destroy();
  });

  it('removes SBOM and provenance with the archives, by the archives horizon', async () => {
    const seed = (o: Parameters<typeof seedBuild>[2]) => seedBuild(prisma, store, o);
    const expired = await seed({ now, status: 'succeeded', ageDays: 8, archiveBytes: 100 });
    const young = await seed({ now, status: 'succeeded', ageDays: 6 });
    const artifact = await seed({ now, status: 'succeeded', push: false, ageDays: 8 });
    for (const key of [...supplyKeys(expired.id), ...supplyKeys(young.id), ...supplyKeys(artifact.id), orphan]) {
      await store.put(key, readableFrom('{"spdxVersion":"SPDX-2.3"}'));
    }

    const log = memoryLog();
    const counts = await runRetention({ prisma, store, policy: POLICY, now, log });
    // 2 archives + 2 SBOMs + 2 provenance statements of the one published build past 7 days.
    expect(counts).toEqual({ builds: 1, archives: 6, logs: 0, orphans: 0, bytes: 2 * 100 + 4 * 26, failed: 0 });
    expect(await exists(store, supplyKeys(expired.id))).toEqual([false, false, false, false]);
    // Younger than its horizon (published, 6 days; artifact, 8 of 30 days): kept, as its archives are.
    const kept = [...supplyKeys(young.id), ...young.archives, ...supplyKeys(artifact.id), ...artifact.archives, ...expired.logs, orphan];
    expect(await exists(store, kept)).toEqual(kept.map(() => true));
    expect(log.lines.find((l) => l.includes(expired.id))).toMatch(/expired archives: removed 6 object\(s\), 304 bytes/);
  });

  it('removes a supply object of an unknown build once older than the longest horizon', async () => {
    const counts = await runRetention({ prisma, store, policy: POLICY, now: new Date(now.getTime() + 91 * DAY), log: memoryLog() });
    expect(counts.orphans).toBe(1);
    expect(await exists(store, [orphan])).toEqual([false]);
  });
});
