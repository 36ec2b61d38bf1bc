import { Counter, createMetricsRegistry, Gauge, Histogram, REQUEST_SECONDS_BUCKETS, type Registry } from '@archway/runtime/metrics';

/**
 * The API process's own metrics (one registry per app, so tests with several apps stay apart).
 * Labels are bounded: `route` is the route template (`/api/v1/builds/:id`), never the URL;
 * `trigger`, `forge`, `event`, `outcome` are small fixed sets — never a build id or commit.
 */
export function createApiMetrics() {
  const registry: Registry = createMetricsRegistry({ processMetrics: true });
  const registers = [registry];
  return {
    registry,
    httpSeconds: new Histogram({
      name: 'archway_http_request_duration_seconds',
      help: 'HTTP requests answered by the API, by method, route template and status code.',
      labelNames: ['method', 'route', 'code'] as const,
      buckets: REQUEST_SECONDS_BUCKETS,
      registers,
    }),
    buildsCreated: new Counter({
      name: 'archway_builds_created_total',
      help: 'Builds created, by trigger (api, rebuild, webhook, manual, …).',
      labelNames: ['trigger'] as const,
      registers,
    }),
    webhookDeliveries: new Counter({
      name: 'archway_webhook_deliveries_total',
      help: 'Forge webhook deliveries whose signature verified, by forge, event and outcome (queued, ignored, ping, duplicate, refused, error).',
      labelNames: ['forge', 'event', 'outcome'] as const,
      registers,
    }),
    commitStatuses: new Counter({
      name: 'archway_commit_status_posts_total',
      help: 'Commit status reports to forges, by outcome (posted, skipped, failed: retried, refused: not retried).',
      labelNames: ['outcome'] as const,
      registers,
    }),
    reconcilerFailures: new Counter({
      name: 'archway_reconciler_task_failures_total',
      help: "Tasks the API's reconciler failed itself because no agent could report them, by platform and cause (agent-lost, timeout, queue-wait, error).",
      labelNames: ['platform', 'cause'] as const,
      registers,
    }),
    sseClients: new Gauge({
      name: 'archway_sse_clients',
      help: 'Server-Sent Event streams open right now (dashboards and CLIs following builds).',
      registers,
    }),
  };
}
export type ApiMetrics = ReturnType<typeof createApiMetrics>;

/** Forge events named in the `event` label; anything else is `other` (the header is the sender's). */
const HOOK_EVENTS = new Set(['push', 'pull_request', 'create', 'delete', 'ping', 'release', 'tag', 'issues', 'issue_comment', 'status']);
export function hookEventLabel(event: string | undefined): string {
  return event && HOOK_EVENTS.has(event) ? event : 'other';
}
