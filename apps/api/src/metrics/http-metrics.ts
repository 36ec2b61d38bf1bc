import type { FastifyInstance } from 'fastify';
import type { ApiMetrics } from './api-metrics.ts';

/**
 * Times every answered request by its route template: `/api/v1/builds/:id`, never the URL (ids
 * would make a series per build). Requests no route matched share `route="unmatched"`.
 * Install on the root instance before any route so that every plugin's routes are timed.
 */
export function installHttpMetrics(app: FastifyInstance, metrics: ApiMetrics): void {
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.httpSeconds.observe({ method: request.method, route, code: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });
}
