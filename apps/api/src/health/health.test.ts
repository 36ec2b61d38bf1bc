import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { buildApp } from '../app.ts';
import { createPrisma } from '../db.ts';
import { freePort } from '../embedded/free-port.ts';
import { FAIL_FAST } from '../queue/redis.ts';
import { apiFixture, type ApiFixture } from '../testing/fixture.ts';

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
});
