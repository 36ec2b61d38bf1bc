import { z } from 'zod';

/**
 * The Kubernetes side of the fleet: the labels and annotations the API's autoscaler reads on an
 * agent pool (deploy/kubernetes writes them; test/deploy checks the manifests with these same
 * constants), and the answer of `GET /api/v1/capacity`.
 */
export const POOL_LABELS = {
  /** On each agent pool StatefulSet: its platform's slug (`linux-arm64`; label values cannot hold `/`). */
  platform: 'archway.dev/platform',
} as const;

export const POOL_ANNOTATIONS = {
  /** Fewest replicas the autoscaler keeps (`0`: the pool may scale to zero). */
  min: 'archway.dev/autoscale-min',
  /** Most replicas the autoscaler asks for. */
  max: 'archway.dev/autoscale-max',
  /** How long a pool must have had more agents than work before it scales down (a duration, `5m`). */
  cooldown: 'archway.dev/autoscale-cooldown',
} as const;

/** The node label Kubernetes sets to the node's CPU architecture (`amd64`, `arm64`, …). */
export const NODE_ARCH_LABEL = 'kubernetes.io/arch';

/** Resources summed over the nodes they describe (bytes for memory and ephemeral storage). */
export const NodeResources = z.object({ cpu: z.number(), memoryBytes: z.number(), ephemeralStorageBytes: z.number() });

export const CapacityNode = z.object({
  name: z.string(),
  ready: z.boolean(),
  /** `spec.unschedulable` (kubectl cordon). */
  cordoned: z.boolean(),
  allocatable: NodeResources,
  /** NoSchedule/NoExecute taints the agent pool of this architecture does not tolerate (`key=value:Effect`). */
  blockingTaints: z.array(z.string()),
});

/** The nodes of one architecture. `schedulable`: ready, not cordoned, no blocking taint. */
export const CapacityArch = z.object({
  arch: z.string(),
  nodes: z.array(CapacityNode),
  ready: z.number().int(),
  schedulable: z.number().int(),
  /** Allocatable resources of the schedulable nodes. */
  allocatable: NodeResources,
});

export const CapacityPool = z.object({
  /** The StatefulSet's name. */
  name: z.string(),
  platform: z.string(),
  /** `spec.replicas`: what the autoscaler (or someone) asked for. */
  desired: z.number().int(),
  /** `status.readyReplicas`. */
  ready: z.number().int(),
  min: z.number().int(),
  max: z.number().int(),
  cooldown: z.string(),
  /** What is wrong with the pool's annotations (then it is not scaled), null when nothing. */
  problem: z.string().nullable(),
});

export const CapacityAgents = z.object({
  platform: z.string(),
  connected: z.number().int(),
  busy: z.number().int(),
  idle: z.number().int(),
  /** Jobs waiting in the platform's queue. */
  waiting: z.number().int(),
});

export const ScaleDecision = z.object({
  at: z.string(),
  pool: z.string(),
  platform: z.string(),
  /** `up`/`down`: replicas changed; `error`: the Kubernetes API refused; `fail`: waiting tasks failed fast. */
  action: z.enum(['up', 'down', 'error', 'fail']),
  from: z.number().int(),
  to: z.number().int(),
  reason: z.string(),
});
export type ScaleDecision = z.infer<typeof ScaleDecision>;

/** `GET /api/v1/capacity`. */
export const Capacity = z.object({
  cluster: z.object({
    /** `off`: no in-cluster config and no KUBECONFIG (or ARCHWAY_FLEET=off); `error`: the last read failed. */
    state: z.enum(['on', 'off', 'error']),
    /** Why it is off or failing; null when on. */
    reason: z.string().nullable(),
    namespace: z.string().nullable(),
    /** When the cluster was last read. */
    checkedAt: z.string().nullable(),
  }),
  nodes: z.array(CapacityArch),
  pools: z.array(CapacityPool),
  agents: z.array(CapacityAgents),
  /** Recent scaling decisions and Kubernetes API errors, newest first. */
  decisions: z.array(ScaleDecision),
});
export type Capacity = z.infer<typeof Capacity>;
export type CapacityArch = z.infer<typeof CapacityArch>;
export type CapacityPool = z.infer<typeof CapacityPool>;
export type CapacityAgents = z.infer<typeof CapacityAgents>;
