import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Build } from '@archway/shared';
import { redisKeys } from '@archway/shared/node';
import type { PrismaClient } from '../db.ts';
import { apiFixture, waitFor, type ApiFixture } from '../testing/fixture.ts';
import { BuildChangeHub } from './hub.ts';

let f: ApiFixture;
beforeAll(async () => {
  f = await apiFixture();
});
afterAll(async () => {
  await f?.close();
});

/**
 * The real client, except that the first read of a build answers late — as a busy database may.
 * `firstRead` resolves once that read has its row.
 */
function slowFirstRead(prisma: PrismaClient): { prisma: PrismaClient; firstRead: Promise<void> } {
  let calls = 0;
  let readDone: () => void = () => {};
  const firstRead = new Promise<void>((r) => (readDone = r));
  const build = new Proxy(prisma.build, {
    get(target, prop, receiver) {
      if (prop !== 'findUnique') return Reflect.get(target, prop, receiver);
      return async (args: Parameters<PrismaClient['build']['findUnique']>[0]) => {
        const row = await target.findUnique(args);
        if (calls++ === 0) {
          readDone();
          await new Promise((r) => setTimeout(r, 400));
        }
        return row;
      };
    },
  });
  return { prisma: new Proxy(prisma, { get: (target, prop, receiver) => (prop === 'build' ? build : Reflect.get(target, prop, receiver)) }), firstRead };
}

it('never delivers an older snapshot of a build after a newer one', async () => {
  const slow = slowFirstRead(f.prisma);
  const hub = new BuildChangeHub({ prisma: slow.prisma, redis: f.redis, prefix: f.prefix });
  const seen: Build[] = [];
  const unsubscribe = await hub.subscribe((b) => seen.push(b));
  try {
    const row = await f.prisma.build.create({ data: { sourceUrl: 'file:///r', ref: 'main', platforms: ['linux/amd64'], push: false, status: 'publishing' } });
    const channel = redisKeys(f.prefix).buildChanged;
    await f.redis.publish(channel, row.id);
    // The first (slow) read has the `publishing` row; the build finishes while it is in flight.
    await slow.firstRead;
    await f.prisma.build.update({ where: { id: row.id }, data: { status: 'succeeded' } });
    await f.redis.publish(channel, row.id);
    await waitFor(async () => seen.length >= 2, 'two deliveries', 5000);
    expect(seen.map((b) => b.status)).toEqual(['publishing', 'succeeded']);
  } finally {
    unsubscribe();
    await hub.close();
  }
});
