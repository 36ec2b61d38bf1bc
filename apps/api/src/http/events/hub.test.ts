import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import type { Build } from '@archway/contract';
import { redisKeys } from '@archway/contract';
import type { PrismaClient } from '../../infra/db.ts';
import { apiFixture, waitFor, type ApiFixture } from '../../testing/fixture.ts';
import { BuildChangeHub } from './hub.ts';

let f: ApiFixture;
beforeAll(async () => {
  f = await apiFixture();
});
afterAll(async () => {
  await f?.close();
});

/**
 * The real Redis client, except that the hub's own connection (made with `duplicate()`) is kept,
 * so that the test can listen to what the hub receives, right after the hub has handled it.
 */
function watchedRedis(redis: Redis): { redis: Redis; hubConnection: () => Redis } {
  let conn: Redis | undefined;
  const proxy = new Proxy(redis, {
    get(target, prop, receiver) {
      if (prop !== 'duplicate') return Reflect.get(target, prop, receiver);
      return (...args: Parameters<Redis['duplicate']>) => (conn = target.duplicate(...args));
    },
  });
  return { redis: proxy, hubConnection: () => conn ?? expect.fail('the hub made no connection of its own') };
}

/**
 * The real Prisma client, except that the first read of a build answers only once `release`
 * resolves, and after every read the hub started meanwhile has answered — as a busy database
 * may. `firstRead` resolves once that read has its row.
 */
function slowFirstRead(prisma: PrismaClient, release: Promise<void>): { prisma: PrismaClient; firstRead: Promise<void> } {
  let calls = 0;
  let readDone: () => void = () => {};
  const firstRead = new Promise<void>((r) => (readDone = r));
  const others: Promise<unknown>[] = [];
  const build = new Proxy(prisma.build, {
    get(target, prop, receiver) {
      if (prop !== 'findUnique') return Reflect.get(target, prop, receiver);
      return (args: Parameters<PrismaClient['build']['findUnique']>[0]) => {
        if (calls++ > 0) {
          const read = target.findUnique(args);
          others.push(read.catch(() => {}));
          return read;
        }
        return (async () => {
          const row = await target.findUnique(args);
          readDone();
          await release;
          // A hub that read again while this read was in flight gets that newer row first, and
          // delivers it (promise continuations only) before the next turn of the event loop.
          await Promise.all(others);
          await new Promise((r) => setImmediate(r));
          return row;
        })();
      };
    },
  });
  return { prisma: new Proxy(prisma, { get: (target, prop, receiver) => (prop === 'build' ? build : Reflect.get(target, prop, receiver)) }), firstRead };
}

it('never delivers an older snapshot of a build after a newer one', async () => {
  let secondReceived: () => void = () => {};
  const released = new Promise<void>((r) => (secondReceived = r));
  const slow = slowFirstRead(f.prisma, released);
  const watched = watchedRedis(f.redis);
  const hub = new BuildChangeHub({ prisma: slow.prisma, redis: watched.redis, prefix: f.prefix });
  const seen: Build[] = [];
  const unsubscribe = await hub.subscribe((b) => seen.push(b));
  try {
    const row = await f.prisma.build.create({ data: { sourceUrl: 'file:///r', ref: 'main', platforms: ['linux/amd64'], push: false, status: 'publishing' } });
    // A latch, no clock: the first read answers only once the hub has received (and handled: its
    // listener was added first) the second notification, so that one always arrives mid-read.
    let notifications = 0;
    watched.hubConnection().on('message', (_channel: string, id: string) => {
      if (id === row.id && ++notifications === 2) secondReceived();
    });
    const channel = redisKeys(f.prefix).buildChanged;
    await f.redis.publish(channel, row.id);
    // The first (slow) read has the `publishing` row; the build finishes while it is in flight.
    await slow.firstRead;
    await f.prisma.build.update({ where: { id: row.id }, data: { status: 'succeeded' } });
    await f.redis.publish(channel, row.id);
    await waitFor(async () => seen.length >= 2, 'two deliveries', 5000);
    expect(notifications).toBe(2);
    expect(seen.map((b) => b.status)).toEqual(['publishing', 'succeeded']);
  } finally {
    unsubscribe();
    await hub.close();
  }
});
