import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import { exportMetrics } from '@archway/runtime/metrics';
import type { MergerConfig } from '../env.ts';
import { createMergerMetrics, MERGER_PROCESS_PREFIX, type MergerMetrics } from './merger-metrics.ts';

export interface MergerObservability {
  metrics: MergerMetrics;
  stop(): Promise<void>;
}

/**
 * The merger's metrics leave the process the way the agents' do: pushed to Redis (the API's
 * /metrics shows them with a `merger` label: host and process id, so replicas stay apart and a
 * restarted merger's old series expire) and, with ARCHWAY_MERGER_METRICS_PORT, served directly.
 */
export async function startMergerMetrics(config: MergerConfig, redis: Redis, log: (line: string) => void): Promise<MergerObservability> {
  const metrics = createMergerMetrics();
  const exported = await exportMetrics({
    redis,
    prefix: config.prefix,
    role: 'merger',
    id: `${hostname()}-${process.pid}`,
    registry: metrics.registry,
    processPrefix: MERGER_PROCESS_PREFIX,
    intervalMs: config.metricsPushMs ?? 0,
    port: config.metricsPort,
    onError: (err) => log(`merger: pushing metrics failed: ${err.message}`),
    onListening: (port) => log(`merger: metrics on port ${port}`),
  });
  return { metrics, stop: exported.stop };
}
