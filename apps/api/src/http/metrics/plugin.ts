import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../../deps.ts';
import { installAuth, throttleFor } from '../auth/index.ts';
import { QUIET_ROUTE } from '../health/index.ts';
import { collectMetrics } from './collect.ts';
import { EXPOSITION_CONTENT_TYPE, formatExposition } from './exposition.ts';
import { describeRoute } from '../../infra/openapi/describe.ts';

const schema = describeRoute({
  tags: ['operations'],
  summary: 'Prometheus metrics: queue depth per platform, live agents, builds by status (read scope)',
  answers: { 200: { type: 'text/plain', description: 'Prometheus text exposition format' } },
});

/**
 * `GET /metrics` in Prometheus' text format. Needs an API token with the `read` scope (or the
 * dashboard's session), like `GET /api/v1/queues` which shows the same numbers.
 */
export async function metricsPlugin(app: FastifyInstance, { deps }: { deps: AppDeps }): Promise<void> {
  installAuth(app, deps.prisma, throttleFor(deps));
  app.get('/metrics', { ...QUIET_ROUTE, schema }, async (_request, reply) => {
    const body = formatExposition(await collectMetrics(deps));
    return reply.type(EXPOSITION_CONTENT_TYPE).send(body);
  });
}
