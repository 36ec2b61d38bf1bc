import type { Server } from 'node:http';
import { MetricsPusher, type MetricsPusherOptions } from './push.ts';
import { pushedFamilies } from './registry.ts';
import { serveMetrics } from './serve.ts';

export interface MetricsExportOptions extends Omit<MetricsPusherOptions, 'include'> {
  /** The prefix of this process's own families (`archway_agent_`): only they are pushed. */
  processPrefix: string;
  /** Also serve the registry on this port (a PodMonitor scrapes it); none: push only. */
  port?: number | undefined;
  onListening?: (port: number) => void;
}

/**
 * How an agent's or a merger's metrics leave the process without an inbound port: pushed to Redis
 * every `intervalMs` (the API's /metrics shows them with the role's label) and, given a `port`,
 * also served directly. `stop` closes both.
 */
export async function exportMetrics(o: MetricsExportOptions): Promise<{ stop(): Promise<void> }> {
  const { processPrefix, port, onListening, ...push } = o;
  const pusher = new MetricsPusher({ ...push, include: pushedFamilies(processPrefix) });
  pusher.start();
  let server: Server | undefined;
  if (port) {
    server = await serveMetrics(o.registry, port);
    onListening?.(port);
  }
  return {
    stop: async () => {
      server?.close();
      await pusher.stop().catch(() => {});
    },
  };
}
