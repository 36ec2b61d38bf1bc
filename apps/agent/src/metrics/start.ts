import type { Redis } from 'ioredis';
import { exportMetrics } from '@archway/runtime/metrics';
import type { CacheSize } from '../cache-size.ts';
import type { DiskGuard } from '../disk/guard.ts';
import type { AgentConfig } from '../env.ts';
import { freeDiskBytes } from '../heartbeat.ts';
import type { Logger } from '../log.ts';
import { AGENT_PROCESS_PREFIX, createAgentMetrics, type AgentMetrics } from './agent-metrics.ts';

export interface AgentObservability {
  metrics: AgentMetrics;
  stop(): Promise<void>;
}

/**
 * The agent's metrics and how they leave the machine without an inbound port: pushed to Redis
 * every ARCHWAY_METRICS_PUSH_INTERVAL (the API's /metrics shows them with an `agent` label) and,
 * when ARCHWAY_AGENT_METRICS_PORT is set, also served for a PodMonitor to scrape.
 */
export async function startAgentMetrics(
  config: AgentConfig,
  o: { redis: Redis; disk: DiskGuard; cache: CacheSize; running: () => number; log: Logger },
): Promise<AgentObservability> {
  const metrics = createAgentMetrics(config.platform, {
    freeDiskBytes: () => freeDiskBytes(config.dataDir),
    stopBelowBytes: () => o.disk.stopBelowBytes().catch(() => null),
    cacheBytes: () => o.cache.bytes,
    running: o.running,
    concurrency: config.concurrency,
  });
  o.disk.onGc = (report) => {
    metrics.gcRuns.inc({ platform: config.platform, trigger: report.trigger });
    metrics.gcReclaimedBytes.inc({ platform: config.platform }, report.freedBytes);
  };
  const exported = await exportMetrics({
    redis: o.redis,
    prefix: config.queuePrefix,
    role: 'agent',
    id: config.agentId,
    registry: metrics.registry,
    processPrefix: AGENT_PROCESS_PREFIX,
    intervalMs: config.metricsPushMs ?? 0,
    port: config.metricsPort,
    onError: (err) => o.log('metrics.push-failed', { error: err.message }, 'warn'),
    onListening: (port) => o.log('metrics.listening', { port }),
  });
  return { metrics, stop: exported.stop };
}
