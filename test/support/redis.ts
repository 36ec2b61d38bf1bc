import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { inject } from 'vitest';

/** A key prefix no other test uses: queues, streams and heartbeats stay apart. */
export function testPrefix(): string {
  return `t${randomUUID().slice(0, 8)}`;
}

export function testRedis(opts: { worker?: boolean } = {}): Redis {
  return new Redis(inject('redisUrl'), { maxRetriesPerRequest: opts.worker ? null : 3 });
}
