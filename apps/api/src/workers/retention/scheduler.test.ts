import type {} from '../../../../../test/global-setup.ts';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { PrismaPg } from '@prisma/adapter-pg';
import { redisKeys } from '@archway/contract';
import { FsObjectStore, type ObjectStore, type StoredObject } from '@archway/runtime';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase } from '../../../../../test/support/db.ts';
import { testPrefix, testRedis } from '../../../../../test/support/redis.ts';
import { PrismaClient } from '../../generated/prisma/client.ts';
import { withLock } from './lock.ts';
import type { RetentionCounts } from './log.ts';
import { MAINTENANCE_QUEUE, runRetentionExclusive, startRetention } from './scheduler.ts';
import { exists, memoryLog, POLICY, seedBuild } from './test-support.ts';

/** A real store whose first HEAD waits until the test opens the gate: holds a run mid-way. */
class GatedStore extends FsObjectStore {
  entered!: () => void;
  readonly inside = new Promise<void>((r) => (this.entered = r));
  open!: () => void;
  private readonly gate = new Promise<void>((r) => (this.open = r));
  private first = true;
  override async head(key: string): Promise<StoredObject | null> {
    if (this.first) {
      this.first = false;
      this.entered();
      await this.gate;
    }
    return super.head(key);
  }
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

let prisma: PrismaClient;
let redis: Redis;
beforeAll(async () => {
  prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: await createTestDatabase() }) });
  redis = testRedis();
});
afterAll(async () => {
  redis?.disconnect();
  await prisma?.$disconnect();
});
const tmp = () => join(inject('tmpRoot'), `retention-${randomUUID()}`);

describe('runRetentionExclusive', () => {
  it('lets one of two concurrent runs work and the other skip', async () => {
    const now = new Date();
    const store = new GatedStore(tmp());
    const seeded = [
      await seedBuild(prisma, store, { now, status: 'succeeded', ageDays: 8 }),
      await seedBuild(prisma, store, { now, status: 'failed', ageDays: 40 }),
    ];
    const prefix = testPrefix();
    const log = memoryLog();
    const first = runRetentionExclusive({ prisma, store, policy: POLICY, redis, prefix, log, now });
    await store.inside; // the first run holds the lock and is deleting
    const second = await runRetentionExclusive({ prisma, store, policy: POLICY, redis, prefix, log, now });
    expect(second).toBeNull();
    store.open();
    expect(await first).toEqual({ builds: 2, archives: 4, logs: 0, orphans: 0, bytes: 4000, failed: 0 });
    expect(
      await exists(
        store,
        seeded.flatMap((s) => s.archives),
      ),
    ).toEqual([false, false, false, false]);
    expect(await redis.exists(redisKeys(prefix).lock('retention'))).toBe(0);
    // Released: the next run goes ahead and finds nothing left.
    expect(await runRetentionExclusive({ prisma, store, policy: POLICY, redis, prefix, log, now })).toMatchObject({ builds: 0, archives: 0 });
  });
});

describe('withLock', () => {
  it('aborts the work when the lease is lost', async () => {
    const key = `${testPrefix()}:lock:test`;
    const result = await withLock(
      redis,
      key,
      async (signal) => {
        await redis.del(key); // e.g. Redis restarted without persistence
        await until('the abort', async () => signal.aborted, 5_000);
        return (signal.reason as Error).message;
      },
      { ttlMs: 300 },
    );
    expect(result).toEqual({ ran: true, value: `lost the lock ${key}` });
  });
});

describe('startRetention', () => {
  it('runs on the maintenance queue from two replicas without double work', async () => {
    const now = new Date();
    const store: ObjectStore = new FsObjectStore(tmp());
    const seeded = [
      await seedBuild(prisma, store, { now, status: 'succeeded', ageDays: 9 }),
      await seedBuild(prisma, store, { now, status: 'succeeded', push: false, ageDays: 45 }),
      await seedBuild(prisma, store, { now, status: 'succeeded', ageDays: 1 }),
    ];
    const prefix = testPrefix();
    const policy = { ...POLICY, intervalMs: 300 };
    const log = memoryLog();
    const replicas = [await startRetention({ prisma, store, policy, redis, prefix, log }), await startRetention({ prisma, store, policy, redis, prefix, log })];
    const queue = new Queue(MAINTENANCE_QUEUE, { connection: redis, prefix });
    const completed = async () => (await queue.getCompleted()).map((j) => j.returnvalue as RetentionCounts | { skipped: true });
    const archivesRemoved = async () => (await completed()).reduce((n, r) => n + ('archives' in r ? r.archives : 0), 0);
    try {
      expect(await queue.getJobSchedulersCount()).toBe(1);
      await until('the expired archives to go', async () => (await exists(store, [...seeded[0]!.archives, ...seeded[1]!.archives])).every((e) => !e));
      await until('the run to complete', async () => (await archivesRemoved()) === 4);
      // Let more scheduled runs pass: none of them may remove anything again.
      const seen = (await completed()).length;
      await until('two more runs', async () => (await completed()).length >= seen + 2);
      expect(await archivesRemoved()).toBe(4);
      expect(await exists(store, seeded[2]!.archives)).toEqual([true, true]);
    } finally {
      await Promise.all(replicas.map((r) => r.close()));
      await queue.close();
    }
  });
});
