import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { Writable } from 'node:stream';
import { buildApp } from '../../app.ts';
import { createPrisma } from '../../infra/db.ts';
import { freePort } from '@archway/runtime';
import { FAIL_FAST } from '../../infra/queue/redis.ts';
import { apiFixture, type ApiFixture } from '../../testing/fixture.ts';

let f: ApiFixture;
beforeAll(async () => {
  f = await apiFixture();
});
afterAll(async () => f?.close());

describe('health', () => {
  it('/healthz and /readyz answer without a token when all is well', async () => {
    expect((await f.app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' });
    const ready = await f.app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ready', checks: { postgres: 'ok', redis: 'ok' } });
  });

  it('/readyz answers 503 naming what failed', async () => {
    const port = await freePort();
    const deadRedis = new Redis(`redis://127.0.0.1:${port}`, { ...FAIL_FAST, lazyConnect: true, retryStrategy: () => null });
    deadRedis.on('error', () => {});
    const deadPg = createPrisma(`postgresql://archway:archway@127.0.0.1:${port}/nothing`);
    const app = await buildApp({ ...f.deps, redis: deadRedis, prisma: deadPg });
    try {
      const res = await app.inject({ method: 'GET', url: '/readyz' });
      expect(res.statusCode).toBe(503);
      expect(res.json().message).toBe('not ready: postgres and redis unavailable');
      expect(res.json().checks.postgres).toMatch(/^failed: /);
      expect(res.json().checks.redis).toMatch(/^failed: /);

      const onlyRedis = await buildApp({ ...f.deps, redis: deadRedis });
      const r2 = await onlyRedis.inject({ method: 'GET', url: '/readyz' });
      expect(r2.statusCode).toBe(503);
      expect(r2.json().checks).toMatchObject({ postgres: 'ok', redis: expect.stringMatching(/^failed/) });
      await onlyRedis.close();
    } finally {
      await app.close();
      deadRedis.disconnect();
      await deadPg.$disconnect().catch(() => {});
    }
  });

  it('does not log probe and scrape requests, but logs a failed readiness check', async () => {
    const lines: { msg: string; level: number; req?: { url: string } }[] = [];
    const stream = new Writable({
      write: (chunk, _e, cb) => {
        lines.push(JSON.parse(String(chunk)));
        cb();
      },
    });
    const port = await freePort();
    const deadRedis = new Redis(`redis://127.0.0.1:${port}`, { ...FAIL_FAST, lazyConnect: true, retryStrategy: () => null });
    deadRedis.on('error', () => {});
    const app = await buildApp(f.deps, { logger: { level: 'info', stream } });
    const sick = await buildApp({ ...f.deps, redis: deadRedis }, { logger: { level: 'info', stream } });
    try {
      for (const url of ['/healthz', '/readyz', '/metrics']) expect((await app.inject({ method: 'GET', url, headers: f.auth })).statusCode).toBe(200);
      expect((await app.inject({ method: 'GET', url: '/api/v1/builds', headers: f.auth })).statusCode).toBe(200);
      const logged = lines.filter((l) => l.msg === 'incoming request').map((l) => l.req!.url);
      expect(logged).toEqual(['/api/v1/builds']);

      expect((await sick.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(503);
      expect(lines.filter((l) => l.level === 40).map((l) => l.msg)).toEqual(['not ready: redis unavailable']);
    } finally {
      await app.close();
      await sick.close();
      deadRedis.disconnect();
    }
  });
});
