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

/** The process metrics worth carrying for every agent through the API; the rest stay on the metrics port. */
const PUSHED_PROCESS_METRICS = [
  'process_cpu_seconds_total',
  'process_resident_memory_bytes',
  'process_start_time_seconds',
  'process_open_fds',
  'nodejs_eventloop_lag_p99_seconds',
  'nodejs_heap_size_used_bytes',
];

/** MetricsPusher's `include` for a registry made with `processMetrics` and `prefix`: its own metrics and the few process ones above. */
export function pushedFamilies(prefix: string): (name: string) => boolean {
  const defaults = new RegExp(`^${prefix}(process|nodejs)_`);
  const kept = new Set(PUSHED_PROCESS_METRICS.map((n) => prefix + n));
  return (name) => !defaults.test(name) || kept.has(name);
}

export { Counter, Gauge, Histogram, Registry } from 'prom-client';
export type { MetricObjectWithValues, MetricValue } from 'prom-client';
