import { z } from 'zod';

const otlpUrl = z
  .string()
  .trim()
  .regex(/^https?:\/\/[^\s/]+/, 'must be an http:// or https:// URL such as http://collector:4318');

/**
 * The OpenTelemetry variables every process reads (the SDK reads them itself; they are in each
 * schema so that a bad value is named at start and the ENV.md tables list them). Tracing is on
 * only when one of the endpoints is set.
 */
export const TracingEnv = z.object({
  OTEL_EXPORTER_OTLP_ENDPOINT: otlpUrl.optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: otlpUrl.optional(),
  OTEL_SERVICE_NAME: z.string().trim().min(1).optional(),
});
