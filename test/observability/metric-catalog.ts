import type { Registry } from 'prom-client';
import { createAgentMetrics } from '../../apps/agent/src/metrics/agent-metrics.ts';
import { createApiMetrics } from '../../apps/api/src/metrics/api-metrics.ts';
import { registerStateGauges } from '../../apps/api/src/http/metrics/collect.ts';
import { createMergerMetrics } from '../../apps/merger/src/metrics/merger-metrics.ts';

export interface MetricInfo {
  process: 'api' | 'agent' | 'merger';
  name: string;
  help: string;
  type: string;
  labelNames: string[];
}

/** prom-client's process and Node.js metrics (collectDefaultMetrics), with or without a process prefix. */
export const PROCESS_METRIC = /^(archway_(agent|merger)_)?(process|nodejs)_/;

function describe(process: MetricInfo['process'], registry: Registry): MetricInfo[] {
  return registry.getMetricsAsArray().map((m) => {
    const meta = m as unknown as { name: string; help: string; type: string; labelNames?: string[] };
    return { process, name: meta.name, help: meta.help, type: String(meta.type), labelNames: [...(meta.labelNames ?? [])] };
  });
}

/**
 * Every metric every process registers, built the way the processes build them: the API's
 * registry with its scrape-time state gauges, an agent's (with its heartbeat gauges), the merger's.
 */
export function metricCatalog(): MetricInfo[] {
  const api = createApiMetrics();
  registerStateGauges(api.registry);
  const agent = createAgentMetrics('linux/amd64', {
    freeDiskBytes: async () => 1,
    stopBelowBytes: async () => 1,
    cacheBytes: () => 1,
    running: () => 0,
    concurrency: 1,
  });
  return [...describe('api', api.registry), ...describe('agent', agent.registry), ...describe('merger', createMergerMetrics().registry)];
}
