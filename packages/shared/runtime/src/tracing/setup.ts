import { trace, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';

export interface Tracing {
  enabled: boolean;
  /** Sends the spans still buffered and stops exporting; call before the process exits. */
  shutdown(): Promise<void>;
}

/** The endpoint variables that turn tracing on (the OpenTelemetry SDK's own names). */
export const OTEL_ENDPOINT_VARIABLES = ['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', 'OTEL_EXPORTER_OTLP_ENDPOINT'] as const;

/**
 * Turns OpenTelemetry tracing on for this process when an OTLP endpoint is configured, and does
 * nothing otherwise (spans are then the API's no-op spans, which cost next to nothing). Spans go
 * over OTLP/HTTP (JSON) in batches; the exporter reads the other OTEL_* variables (headers,
 * timeouts, OTEL_BSP_SCHEDULE_DELAY) itself. `service` is the default OTEL_SERVICE_NAME.
 */
export function startTracing(service: string, env: NodeJS.ProcessEnv = process.env): Tracing {
  if (!OTEL_ENDPOINT_VARIABLES.some((v) => env[v])) return { enabled: false, shutdown: async () => {} };
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: env.OTEL_SERVICE_NAME || service }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())],
  });
  // Global: the context manager (AsyncLocalStorage) lets a request's span reach the code it calls.
  provider.register();
  return { enabled: true, shutdown: () => provider.shutdown() };
}

/** Archway's tracer; a no-op one while tracing is off. */
export function archwayTracer(): Tracer {
  return trace.getTracer('archway');
}
