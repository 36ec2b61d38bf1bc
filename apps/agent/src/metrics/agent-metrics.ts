import { BUILD_SECONDS_BUCKETS, Counter, createMetricsRegistry, Gauge, Histogram, type Registry } from '@archway/runtime/metrics';

/** Prefix of the agent's process metrics (CPU, memory, event loop): the API exposes them beside its own. */
export const AGENT_PROCESS_PREFIX = 'archway_agent_';

/** What the agent reads when Prometheus (or the pusher) collects: the heartbeat's numbers. */
export interface AgentGauges {
  freeDiskBytes(): Promise<number | null>;
  /** ARCHWAY_AGENT_STOP_FREE_SPACE resolved against the disk, bytes. */
  stopBelowBytes(): Promise<number | null>;
  cacheBytes(): number | null;
  running(): number;
  concurrency: number;
}

/**
 * The agent's metrics, in a registry of its own. Labels are bounded: `platform` (one per agent),
 * `phase` (PhaseKind), `instruction` (Containerfile instructions), `outcome`, `cause`
 * (AttemptCause), `result`, `trigger` — never a build, task or commit id.
 */
export function createAgentMetrics(platform: string, gauges?: AgentGauges) {
  const registry: Registry = createMetricsRegistry({ processMetrics: true, prefix: AGENT_PROCESS_PREFIX });
  const registers = [registry];
  const metrics = {
    registry,
    platform,
    phaseSeconds: new Histogram({
      name: 'archway_agent_phase_duration_seconds',
      help: 'Duration of task phases (clone, pull, build, step, export, upload) on this agent, by platform and phase kind.',
      labelNames: ['platform', 'phase'] as const,
      buckets: BUILD_SECONDS_BUCKETS,
      registers,
    }),
    stepSeconds: new Histogram({
      name: 'archway_agent_step_duration_seconds',
      help: 'Duration of Containerfile steps, by platform and instruction (RUN, COPY, …); cache hits are counted in archway_agent_layer_cache_steps_total.',
      labelNames: ['platform', 'instruction'] as const,
      buckets: BUILD_SECONDS_BUCKETS,
      registers,
    }),
    taskSeconds: new Histogram({
      name: 'archway_agent_task_duration_seconds',
      help: 'Duration of task attempts from start to outcome, by platform and outcome (built, failed, requeued, canceled).',
      labelNames: ['platform', 'outcome'] as const,
      buckets: BUILD_SECONDS_BUCKETS,
      registers,
    }),
    queueWaitSeconds: new Histogram({
      name: 'archway_agent_queue_wait_seconds',
      help: 'Time a build job waited in its platform queue before this agent started it.',
      labelNames: ['platform'] as const,
      buckets: BUILD_SECONDS_BUCKETS,
      registers,
    }),
    tasks: new Counter({
      name: 'archway_agent_tasks_total',
      help: 'Task attempts ended on this agent, by platform, outcome and failure cause (none when built or canceled).',
      labelNames: ['platform', 'outcome', 'cause'] as const,
      registers,
    }),
    layerCache: new Counter({
      name: 'archway_agent_layer_cache_steps_total',
      help: 'Containerfile steps by whether the layer cache answered (result hit or miss).',
      labelNames: ['platform', 'result'] as const,
      registers,
    }),
    gitCache: new Counter({
      name: 'archway_agent_git_cache_total',
      help: "Clones by whether the commit was already in the agent's git cache (result hit or miss).",
      labelNames: ['platform', 'result'] as const,
      registers,
    }),
    uploadedBytes: new Counter({
      name: 'archway_agent_uploaded_bytes_total',
      help: 'Bytes of image archives uploaded to the object store.',
      labelNames: ['platform'] as const,
      registers,
    }),
    gcRuns: new Counter({
      name: 'archway_agent_gc_runs_total',
      help: 'Image cache garbage collection passes, by trigger (periodic, before-task).',
      labelNames: ['platform', 'trigger'] as const,
      registers,
    }),
    gcReclaimedBytes: new Counter({
      name: 'archway_agent_gc_reclaimed_bytes_total',
      help: 'Bytes of disk space image cache garbage collection gave back.',
      labelNames: ['platform'] as const,
      registers,
    }),
  };
  if (gauges) registerGauges(registry, platform, gauges);
  return metrics;
}
export type AgentMetrics = ReturnType<typeof createAgentMetrics>;

/** Gauges read when collected: the heartbeat's numbers, unknown ones (null) left out. */
function registerGauges(registry: Registry, platform: string, g: AgentGauges): void {
  const gauges: [name: string, help: string, read: () => number | null | Promise<number | null>][] = [
    [
      'archway_agent_disk_free_bytes',
      "Free bytes on the filesystem of the agent's data dir (what the free-space watermarks compare).",
      () => g.freeDiskBytes(),
    ],
    [
      'archway_agent_disk_stop_watermark_bytes',
      'Free bytes below which a running build is stopped (ARCHWAY_AGENT_STOP_FREE_SPACE on this disk).',
      () => g.stopBelowBytes(),
    ],
    ['archway_agent_cache_bytes', "Bytes used by the agent's buildah storage (image and layer cache).", () => g.cacheBytes()],
    ['archway_agent_builds_running', 'Tasks this agent is building right now.', () => g.running()],
    ['archway_agent_concurrency', 'Tasks this agent builds at once at most (ARCHWAY_AGENT_CONCURRENCY).', () => g.concurrency],
  ];
  for (const [name, help, read] of gauges) {
    new Gauge({
      name,
      help,
      labelNames: ['platform'] as const,
      registers: [registry],
      async collect() {
        const value = await read();
        if (value !== null) this.set({ platform }, value);
      },
    });
  }
}
