import { BUILD_SECONDS_BUCKETS, Counter, createMetricsRegistry, Histogram, type Registry } from '@archway/runtime/metrics';

/** Prefix of the merger's process metrics: the API exposes them beside its own. */
export const MERGER_PROCESS_PREFIX = 'archway_merger_';

/**
 * The merger's metrics, in a registry of its own. Labels are bounded: `outcome`, `method`,
 * `code` (HTTP status), `result`, `reference` — never a build id, image or digest.
 */
export function createMergerMetrics() {
  const registry: Registry = createMetricsRegistry({ processMetrics: true, prefix: MERGER_PROCESS_PREFIX });
  const registers = [registry];
  return {
    registry,
    publishSeconds: new Histogram({
      name: 'archway_merger_publish_duration_seconds',
      help: 'Duration of publish job attempts (blobs, manifests, index, tags), by outcome (succeeded, failed, canceled).',
      labelNames: ['outcome'] as const,
      buckets: BUILD_SECONDS_BUCKETS,
      registers,
    }),
    registryRequests: new Counter({
      name: 'archway_merger_registry_requests_total',
      help: 'HTTP requests to registries, by method and status code (0: no answer, network error).',
      labelNames: ['method', 'code'] as const,
      registers,
    }),
    registryRetries: new Counter({
      name: 'archway_merger_registry_retries_total',
      help: 'Registry requests sent again after a network error, 5xx or 429.',
      registers,
    }),
    blobs: new Counter({
      name: 'archway_merger_blobs_total',
      help: 'Blobs of published images, by result: uploaded, existing (already in the repository, skipped) or mounted (from another repository).',
      labelNames: ['result'] as const,
      registers,
    }),
    pushedBytes: new Counter({
      name: 'archway_merger_pushed_bytes_total',
      help: 'Bytes of blobs uploaded to registries.',
      registers,
    }),
    manifests: new Counter({
      name: 'archway_merger_manifests_put_total',
      help: 'Manifests and indexes written, by reference kind: digest, or tag (tag writes).',
      labelNames: ['reference'] as const,
      registers,
    }),
    earlyPushes: new Counter({
      name: 'archway_merger_early_pushes_total',
      help: "Platforms pushed ahead of their build's publish job (pipelining), by outcome (pushed, failed, skipped).",
      labelNames: ['outcome'] as const,
      registers,
    }),
  };
}
export type MergerMetrics = ReturnType<typeof createMergerMetrics>;

/** What the registry client reports (registry/transport.ts, registry/client.ts); absent: nothing is counted. */
export interface RegistryObserver {
  response(method: string, status: number): void;
  retry(): void;
  blob(result: 'uploaded' | 'existing' | 'mounted', bytes: number): void;
  manifest(reference: 'digest' | 'tag'): void;
}

export function registryObserver(m: MergerMetrics): RegistryObserver {
  return {
    response: (method, status) => m.registryRequests.inc({ method, code: String(status) }),
    retry: () => m.registryRetries.inc(),
    blob: (result, bytes) => {
      m.blobs.inc({ result });
      if (result === 'uploaded') m.pushedBytes.inc(bytes);
    },
    manifest: (reference) => m.manifests.inc({ reference }),
  };
}
