import { context, ROOT_CONTEXT, type Context, type Span, SpanStatusCode, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import type { TraceCarrier } from '@archway/contract';
import { archwayTracer } from './setup.ts';

const propagator = new W3CTraceContextPropagator();

/**
 * The W3C trace context of `ctx` (default: the active one) for a job payload, so the process that
 * takes the job continues the same trace. Undefined when tracing is off (no valid span).
 */
export function traceCarrier(ctx: Context = context.active()): TraceCarrier | undefined {
  const carrier: Record<string, string> = {};
  propagator.inject(ctx, carrier, { set: (c, k, v) => void (c[k] = v) });
  if (!carrier.traceparent) return undefined;
  return { traceparent: carrier.traceparent, ...(carrier.tracestate ? { tracestate: carrier.tracestate } : {}) };
}

/** The context a job's carrier names as parent; the root context without one. */
export function contextFromCarrier(carrier: TraceCarrier | undefined): Context {
  if (!carrier) return ROOT_CONTEXT;
  return propagator.extract(ROOT_CONTEXT, carrier, {
    get: (c, k) => (c as Record<string, string | undefined>)[k],
    keys: (c) => Object.keys(c),
  });
}

/**
 * Runs `fn` inside a span named `name` (child of `parent`, default the active context), ending it
 * when `fn` settles and marking it failed when `fn` throws.
 */
export async function inSpan<T>(
  name: string,
  fn: (span: Span) => Promise<T>,
  opts: { parent?: Context; attributes?: Record<string, string | number | boolean> } = {},
): Promise<T> {
  const parent = opts.parent ?? context.active();
  const span = archwayTracer().startSpan(name, opts.attributes ? { attributes: opts.attributes } : {}, parent);
  try {
    return await context.with(trace.setSpan(parent, span), () => fn(span));
  } catch (err) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error)?.message ?? String(err) });
    throw err;
  } finally {
    span.end();
  }
}

export { context, ROOT_CONTEXT, SpanStatusCode, trace, type Context, type Span };
