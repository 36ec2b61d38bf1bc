import type { FastifyInstance } from 'fastify';
import { formatDuration, Liveness, NotReady, Readiness } from '@archway/contract';
import type { AppDeps } from '../../deps.ts';
import { describeRoute } from '../../infra/openapi/describe.ts';

const CHECK_TIMEOUT_MS = 3000;

function withTimeout<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${formatDuration(CHECK_TIMEOUT_MS)}`)), CHECK_TIMEOUT_MS);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** Probes and scrapes come every few seconds: their requests are not logged, their failures are. */
export const QUIET_ROUTE = { logLevel: 'warn' } as const;

/** `/healthz`: the process is up. `/readyz`: it can serve (Postgres and Redis answer). No auth. */
export async function healthPlugin(app: FastifyInstance, { deps }: { deps: Pick<AppDeps, 'prisma' | 'redis'> }): Promise<void> {
  const healthz = describeRoute({ tags: ['operations'], summary: 'Liveness: the process is up', public: true, answers: { 200: Liveness } });
  app.get('/healthz', { ...QUIET_ROUTE, schema: healthz }, async () => ({ status: 'ok' }));

  const readyz = describeRoute({
    tags: ['operations'],
    summary: 'Readiness: Postgres and Redis answer',
    public: true,
    answers: { 200: Readiness, 503: NotReady.describe('Not ready: `checks` says which dependency failed and why') },
  });
  app.get('/readyz', { ...QUIET_ROUTE, schema: readyz }, async (request, reply) => {
    const [pg, redis] = await Promise.allSettled([withTimeout(deps.prisma.$queryRaw`SELECT 1`, 'Postgres'), withTimeout(deps.redis.ping(), 'Redis')]);
    const checks = {
      postgres: pg.status === 'fulfilled' ? 'ok' : `failed: ${(pg.reason as Error).message}`,
      redis: redis.status === 'fulfilled' ? 'ok' : `failed: ${(redis.reason as Error).message}`,
    };
    const failed = Object.entries(checks)
      .filter(([, v]) => v !== 'ok')
      .map(([k]) => k);
    if (failed.length === 0) return { status: 'ready', checks };
    request.log.warn({ checks }, `not ready: ${failed.join(' and ')} unavailable`);
    return reply.code(503).send({ error: 'not_ready', message: `not ready: ${failed.join(' and ')} unavailable`, checks });
  });
}
