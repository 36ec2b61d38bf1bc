import { BUILD_SECONDS_BUCKETS, Counter, createMetricsRegistry, Histogram, REQUEST_SECONDS_BUCKETS, type Registry } from '@archway/runtime/metrics';

/** Prefix of the merger's process metrics: the API exposes them beside its own. */
export const MERGER_PROCESS_PREFIX = 'archway_merger_';

/**
 * The merger's metrics, in a registry of its own. Labels are bounded: `outcome`, `method`,
 * `code` (HTTP status), `result`, `reference`, `step` — never a build id, image or digest.
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
    supplyChainSteps: new Counter({
      name: 'archway_merger_supply_chain_steps_total',
      help: 'Supply-chain steps of publishes, by step (attestation: one per platform, signature: one per index) and outcome (succeeded, failed).',
      labelNames: ['step', 'outcome'] as const,
      registers,
    }),
    supplyChainSeconds: new Histogram({
      name: 'archway_merger_supply_chain_step_duration_seconds',
      help: 'Duration of supply-chain steps (attestation: provenance and manifest of one platform, signature: the cosign signature of the index), by step.',
      labelNames: ['step'] as const,
      buckets: REQUEST_SECONDS_BUCKETS,
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

export type SupplyChainStepName = 'attestation' | 'signature';

/** What the publish's supply-chain step reports (attestations/publish-supply.ts); absent: nothing is counted. */
export interface SupplyChainObserver {
  step(step: SupplyChainStepName, outcome: 'succeeded' | 'failed', seconds: number): void;
}

export function supplyChainObserver(m: MergerMetrics): SupplyChainObserver {
  return {
    step: (step, outcome, seconds) => {
      m.supplyChainSteps.inc({ step, outcome });
      m.supplyChainSeconds.observe({ step }, seconds);
    },
  };
}

/** Runs one supply-chain step and reports its outcome and duration to `observer`, if any. */
export async function observeStep<T>(observer: SupplyChainObserver | undefined, step: SupplyChainStepName, run: () => Promise<T>): Promise<T> {
  if (!observer) return run();
  const started = performance.now();
  const report = (outcome: 'succeeded' | 'failed') => observer.step(step, outcome, (performance.now() - started) / 1000);
  try {
    const result = await run();
    report('succeeded');
    return result;
  } catch (err) {
    report('failed');
    throw err;
  }
}
