import { mkdtemp, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { redisKeys } from '@archway/contract';
import { testPrefix, testRedis } from '../../../../test/support/redis.ts';
import { LogSink } from './log-sink.ts';

describe('LogSink', () => {
  const redis = testRedis();
  afterAll(() => redis.disconnect());

  it('keeps every line, in order, in Redis (batched) and in the file', async () => {
    const prefix = testPrefix();
    const filePath = join(await mkdtemp(join(inject('tmpRoot'), 'sink-')), 'task.log');
    const sink = new LogSink({ redis, prefix, taskId: 't1', attempt: 2, filePath, maxBatch: 200 });
    const lines = Array.from({ length: 1234 }, (_, i) => `line ${i}`);
    for (const l of lines) await sink.write(l);
    await sink.close();

    const entries = await redis.xrange(redisKeys(prefix).log('t1'), '-', '+');
    expect(entries.map(([, f]) => f[1])).toEqual(lines);
    expect(entries.every(([, f]) => f[2] === 'a' && f[3] === '2')).toBe(true);
    expect((await readFile(filePath, 'utf8')).split('\n').slice(0, -1)).toEqual(lines);
    expect(await redis.ttl(redisKeys(prefix).log('t1'))).toBeGreaterThan(0);
  });

  it('flushes a partial batch after the interval without waiting for more lines', async () => {
    const prefix = testPrefix();
    const filePath = join(await mkdtemp(join(inject('tmpRoot'), 'sink-')), 'task.log');
    const sink = new LogSink({ redis, prefix, taskId: 't2', attempt: 1, filePath, flushMs: 20 });
    await sink.write('only line');
    const deadline = Date.now() + 5000;
    let len = 0;
    while (len === 0 && Date.now() < deadline) {
      len = await redis.xlen(redisKeys(prefix).log('t2'));
      if (len === 0) await new Promise((r) => setTimeout(r, 10));
    }
    expect(len).toBe(1);
    await sink.close();
  });
});

describe('LogSink under chatty output', () => {
  const redis = testRedis();
  afterAll(() => redis.disconnect());

  // 200 lines of 81 characters are just over the file stream's 16 KiB buffer, so the write that
  // fills it is the one that also flushes a full batch to Redis: the file drained during that
  // flush and the sink then waited for a 'drain' that had already happened, for ever.
  it('keeps going when the file buffer fills during a Redis flush (81-character lines)', async () => {
    const prefix = testPrefix();
    const filePath = join(await mkdtemp(join(inject('tmpRoot'), 'sink-')), 'task.log');
    const sink = new LogSink({ redis, prefix, taskId: 't3', attempt: 1, filePath });
    const line = 'x'.repeat(81);
    for (let i = 0; i < 3000; i++) await sink.write(line);
    await sink.close();
    expect(await redis.xlen(redisKeys(prefix).log('t3'))).toBe(3000);
    expect((await readFile(filePath, 'utf8')).length).toBe(3000 * 82);
  });
});
