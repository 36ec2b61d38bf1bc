import type {} from '../../../../../test/global-setup.ts';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { PrismaPg } from '@prisma/adapter-pg';
import { FsObjectStore, readableFrom, S3ObjectStore, type ObjectStore } from '@archway/runtime';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startS3, type TestS3 } from '../../../../../test/harness/s3.ts';
import { createTestDatabase } from '../../../../../test/support/db.ts';
import { PrismaClient } from '../../generated/prisma/client.ts';
import { runRetention } from './run.ts';
import { DAY, exists, memoryLog, POLICY, seedBuild, type Seeded } from './test-support.ts';

let s3: TestS3;
beforeAll(async () => {
  s3 = await startS3({ dir: join(inject('tmpRoot'), `s3-retention-${randomUUID()}`) });
});
afterAll(async () => {
  await s3?.stop();
});

const stores: Array<[string, () => ObjectStore]> = [
  ['FsObjectStore', () => new FsObjectStore(join(inject('tmpRoot'), `fs-retention-${randomUUID()}`))],
  [
    'S3ObjectStore',
    () => new S3ObjectStore({ bucket: s3.bucket, prefix: `retention-${randomUUID().slice(0, 8)}`, endpoint: s3.endpoint, credentials: s3.credentials }),
  ],
];

describe.each(stores)('runRetention with %s', (_name, makeStore) => {
  let prisma: PrismaClient;
  let store: ObjectStore;
  const now = new Date();
  type Name = 'published8d' | 'published6d' | 'published91d' | 'artifact8d' | 'artifact31d' | 'failed31d' | 'canceled10d' | 'running' | 'publishingOld';
  const b = {} as Record<Name, Seeded>;
  const orphanId = randomUUID();
  const orphans = [`archives/${orphanId}/linux-amd64.tar`, `logs/${orphanId}/linux-amd64.log`, 'archives/not-a-uuid/linux-amd64.tar'];
  const foreign = ['archives/README.txt', 'cache/layer.tar'];

  beforeAll(async () => {
    prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: await createTestDatabase() }) });
    store = makeStore();
    const seed = (o: Parameters<typeof seedBuild>[2]) => seedBuild(prisma, store, o);
    b.published8d = await seed({ now, status: 'succeeded', ageDays: 8, archiveBytes: 1000 });
    b.published6d = await seed({ now, status: 'succeeded', ageDays: 6 });
    b.published91d = await seed({ now, status: 'succeeded', ageDays: 91, archiveBytes: 500 });
    b.artifact8d = await seed({ now, status: 'succeeded', push: false, ageDays: 8 });
    b.artifact31d = await seed({ now, status: 'succeeded', push: false, ageDays: 31, archiveBytes: 300 });
    b.failed31d = await seed({ now, status: 'failed', ageDays: 31, archiveFor: ['linux/amd64'], archiveBytes: 200 });
    b.canceled10d = await seed({ now, status: 'canceled', ageDays: 10 });
    b.running = await seed({ now, status: 'running', ageDays: null });
    // Open statuses are never expired, even with a finishedAt in the distant past.
    b.publishingOld = await seed({ now, status: 'publishing', ageDays: 200 });
    for (const key of [...orphans, ...foreign]) await store.put(key, readableFrom('x'.repeat(10)));
  });
  afterAll(async () => {
    await prisma?.$disconnect();
    if (store instanceof S3ObjectStore) store.destroy();
  });

  it('deletes exactly the objects past their horizon and marks their builds', async () => {
    const log = memoryLog();
    const counts = await runRetention({ prisma, store, policy: POLICY, now, log, batchSize: 3 });
    // published8d: 2 archives; published91d: 2 archives + 2 logs; artifact31d: 2 archives;
    // failed31d: the one archive it had.
    expect(counts).toEqual({ builds: 4, archives: 7, logs: 2, orphans: 0, bytes: 2 * 1000 + 2 * 500 + 2 * 9 + 2 * 300 + 200, failed: 0 });

    const gone = [...b.published8d.archives, ...b.published91d.archives, ...b.published91d.logs, ...b.artifact31d.archives, ...b.failed31d.archives];
    expect(await exists(store, gone)).toEqual(gone.map(() => false));
    const kept = [
      ...b.published8d.logs,
      ...b.published6d.archives,
      ...b.published6d.logs,
      ...b.artifact8d.archives,
      ...b.artifact31d.logs,
      ...b.failed31d.logs,
      ...b.canceled10d.archives,
      ...b.running.archives,
      ...b.running.logs,
      ...b.publishingOld.archives,
      ...b.publishingOld.logs,
      ...orphans, // recent: younger than the longest horizon
      ...foreign,
    ];
    expect(await exists(store, kept)).toEqual(kept.map(() => true));

    const marks = async (s: Seeded) => {
      const row = await prisma.build.findUniqueOrThrow({ where: { id: s.id } });
      return [row.archivesDeletedAt !== null, row.logsDeletedAt !== null];
    };
    expect(await marks(b.published8d)).toEqual([true, false]);
    expect(await marks(b.published91d)).toEqual([true, true]);
    expect(await marks(b.failed31d)).toEqual([true, false]);
    expect(await marks(b.artifact8d)).toEqual([false, false]);
    expect(await marks(b.publishingOld)).toEqual([false, false]);

    expect(log.lines).toHaveLength(4);
    expect(log.lines.find((l) => l.includes(b.published91d.id))).toMatch(/expired archives and logs: removed 4 object\(s\), 1018 bytes/);
    expect(log.lines.find((l) => l.includes(b.artifact31d.id))).toMatch(/push: false\) expired archives: removed 2 object/);
  });

  it('deletes nothing on a second run', async () => {
    const log = memoryLog();
    const counts = await runRetention({ prisma, store, policy: POLICY, now, log });
    expect(counts).toEqual({ builds: 0, archives: 0, logs: 0, orphans: 0, bytes: 0, failed: 0 });
    expect(log.lines).toEqual([]);
  });

  it('removes orphans once older than the longest horizon, and still spares open builds', async () => {
    const later = new Date(now.getTime() + 91 * DAY);
    const log = memoryLog();
    const counts = await runRetention({ prisma, store, policy: POLICY, now: later, log });
    expect(counts.orphans).toBe(3);
    expect(await exists(store, orphans)).toEqual([false, false, false]);
    expect(await exists(store, foreign)).toEqual([true, true]);
    expect(log.lines.filter((l) => l.includes('orphaned'))).toHaveLength(3); // one line per build id and prefix
    // 91 days on, every finished build has expired everything it had left…
    expect(counts).toMatchObject({ builds: 6, archives: 2 + 2 + 2, logs: 2 * 6, failed: 0 });
    // …but the running and publishing builds keep all their objects.
    const open = [...b.running.archives, ...b.running.logs, ...b.publishingOld.archives, ...b.publishingOld.logs];
    expect(await exists(store, open)).toEqual(open.map(() => true));
  });
});
