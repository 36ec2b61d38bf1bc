import type { FastifyInstance, FastifyRequest } from 'fastify';
import { archwayTracer, context, type Span, SpanStatusCode, trace } from '@archway/runtime/tracing';

const spans = new WeakMap<FastifyRequest, Span>();

/**
 * One server span per request while tracing is on (startTracing in main.ts). The rest of the
 * request runs inside its context, so a build created by it (the flow span, the job payloads'
 * trace context) joins the request's trace. Install on the root instance before any route.
 */
export function installRequestSpans(app: FastifyInstance): void {
  app.addHook('onRequest', (request, _reply, done) => {
    const span = archwayTracer().startSpan(`${request.method} ${request.routeOptions.url ?? 'unmatched'}`, {
      attributes: { 'http.request.method': request.method, 'http.route': request.routeOptions.url ?? 'unmatched' },
    });
    spans.set(request, span);
    // Fastify calls the next hooks and the handler from done(): they inherit this context.
    context.with(trace.setSpan(context.active(), span), done);
  });
  app.addHook('onResponse', async (request, reply) => {
    const span = spans.get(request);
    if (!span) return;
    span.setAttribute('http.response.status_code', reply.statusCode);
    if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  });
}
