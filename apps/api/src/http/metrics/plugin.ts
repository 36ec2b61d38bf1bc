import type { FastifyInstance } from 'fastify';
import { EXPOSITION_CONTENT_TYPE, pushedMetricsExposition } from '@archway/runtime/metrics';
import type { AppDeps } from '../../deps.ts';
import { createApiMetrics } from '../../metrics/api-metrics.ts';
import { installAuth, throttleFor } from '../auth/index.ts';
import { QUIET_ROUTE } from '../health/index.ts';
import { registerStateGauges } from './collect.ts';
import { describeRoute } from '../../infra/openapi/describe.ts';

const schema = describeRoute({
  tags: ['operations'],
  summary: "Prometheus metrics: the API's own, queue depth per platform, builds by status, and every agent's and merger's pushed metrics (read scope)",
  answers: { 200: { type: 'text/plain', description: 'Prometheus text exposition format' } },
});

/**
 * `GET /metrics` in Prometheus' text format: this process's registry (HTTP, builds created,
 * webhooks, commit statuses, SSE, process), the state gauges read at scrape time, and the metrics
 * agents and mergers pushed to Redis, each series labeled with its `agent` or `merger` id
 * (docs/observability.md). Needs an API token with the `read` scope, or the dashboard's session.
 */
export async function metricsPlugin(app: FastifyInstance, { deps }: { deps: AppDeps }): Promise<void> {
  const metrics = deps.metrics ?? createApiMetrics();
  const updateState = registerStateGauges(metrics.registry);
  installAuth(app, deps.prisma, throttleFor(deps));
  app.get('/metrics', { ...QUIET_ROUTE, schema }, async (_request, reply) => {
    metrics.sseClients.set(app.sseStreams.size);
    await updateState(deps);
    const [own, pushed] = await Promise.all([metrics.registry.metrics(), pushedMetricsExposition(deps.redis, deps.prefix)]);
    return reply.type(EXPOSITION_CONTENT_TYPE).send(own.endsWith('\n') || own === '' ? own + pushed : `${own}\n${pushed}`);
  });
}
