import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '@archway/runtime';
import { throwawayRedis } from '../../../../test/support/throwaway-redis.ts';
import { buildApp } from '../app.ts';
import { apiFixture, makeGitRepo, type ApiFixture } from '../testing/fixture.ts';
import { createPrisma } from './db.ts';
import { createQueues } from './queue/queues.ts';
import { createRedis, redisReady } from './queue/redis.ts';

let f: ApiFixture;
let repoUrl: string;
beforeAll(async () => {
  f = await apiFixture({ allowLocalSources: true });
  repoUrl = (await makeGitRepo(f.tmp)).url;
});
afterAll(() => f?.close());

const createBuild = (app: FastifyInstance) =>
  app.inject({ method: 'POST', url: '/api/v1/builds', headers: f.auth, payload: { source: { url: repoUrl }, push: false, platforms: ['linux/amd64'] } });

function expectUnavailable(res: { statusCode: number; headers: Record<string, unknown>; json(): unknown }, reason: RegExp) {
  expect(res.statusCode, JSON.stringify(res.json())).toBe(503);
  expect(res.headers['retry-after'], JSON.stringify(res.json())).toBe('5');
  const body = res.json() as { error: string; message: string };
  expect(body.error).toBe('service_unavailable');
  expect(body.message).toMatch(reason);
}

describe('with Postgres unreachable', () => {
  let app: FastifyInstance;
  let prisma: ReturnType<typeof createPrisma>;
  beforeAll(async () => {
    // The same API, its database on a port nobody listens on.
    prisma = createPrisma(`postgresql://archway:archway@127.0.0.1:${await freePort()}/archway`);
    app = await buildApp({ ...f.deps, prisma });
  });
  afterAll(async () => {
    await app?.close();
    await prisma?.$disconnect();
  });

  it('an authenticated GET and a POST answer 503 saying the database is unreachable', async () => {
    expectUnavailable(
      await app.inject({ method: 'GET', url: '/api/v1/builds', headers: f.auth }),
      /^the database is unreachable \(DatabaseNotReachable\); try again once Postgres is back$/,
    );
    expectUnavailable(await createBuild(app), /^the database is unreachable/);
  });
});

describe('with Redis unreachable', () => {
  let app: FastifyInstance;
  let server: Awaited<ReturnType<typeof throwawayRedis>>;
  let queues: ReturnType<typeof createQueues>;
  let redis: ReturnType<typeof createRedis>;
  beforeAll(async () => {
    server = await throwawayRedis();
    redis = createRedis(server.url, 'archway-api-test');
    redis.on('error', () => {});
    await redisReady(redis);
    queues = createQueues(redis, f.prefix);
    app = await buildApp({ ...f.deps, redis, queues });
  });
  afterAll(async () => {
    await app?.close();
    await queues?.close().catch(() => {});
    redis?.disconnect();
    await server?.kill();
  });

  it('an authenticated GET and a POST answer 503 saying Redis is unreachable, within seconds', async () => {
    const queued = await createBuild(app);
    expect(queued.statusCode, queued.body).toBe(202);
    await server.kill();

    const t0 = Date.now();
    expectUnavailable(
      await app.inject({ method: 'GET', url: '/api/v1/agents', headers: f.auth }),
      /^Redis \(queues and live logs\) is unreachable \(.+\); try again once Redis is back$/,
    );
    // Cancel says it itself: its request to the recorder could not be published, nothing changed.
    expectUnavailable(
      await app.inject({ method: 'POST', url: `/api/v1/builds/${queued.json().id}/cancel`, headers: f.auth }),
      /could not be canceled \(Redis: .+\); nothing changed, try again$/,
    );
    expectUnavailable(await createBuild(app), /^the build could not be queued \(Redis/);
    // Fail-fast clients: no request waits for Redis to come back.
    expect(Date.now() - t0).toBeLessThan(10_000);
  });
});
