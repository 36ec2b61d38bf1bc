import { collectDefaultMetrics, Registry } from 'prom-client';

/**
 * One registry per process component (never prom-client's global one): tests run several
 * agents or apps in one Node process, and each must count only its own work.
 * `processMetrics` adds prom-client's process and Node.js metrics (CPU, memory, event loop),
 * with `prefix` when several processes' metrics end up in one exposition (agents through the API).
 */
export function createMetricsRegistry(opts: { processMetrics?: boolean; prefix?: string } = {}): Registry {
  const registry = new Registry();
  if (opts.processMetrics) collectDefaultMetrics({ register: registry, ...(opts.prefix ? { prefix: opts.prefix } : {}) });
  return registry;
}

export { Counter, Gauge, Histogram, Registry } from 'prom-client';
export type { MetricObjectWithValues, MetricValue } from 'prom-client';
