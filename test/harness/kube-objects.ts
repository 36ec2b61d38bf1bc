import { randomUUID } from 'node:crypto';

/**
 * Objects as a Kubernetes API server serialises them (the fields a client reads, in their real
 * places and types), for the stand-in API server (kube-stand-in.ts).
 */

export interface NodeSpec {
  name: string;
  arch: string;
  ready?: boolean;
  unschedulable?: boolean;
  taints?: Array<{ key: string; value?: string; effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute' }>;
  cpu?: string;
  memory?: string;
  ephemeralStorage?: string;
}

export interface PoolSpec {
  name: string;
  /** The label value, a platform slug (`linux-arm64`). */
  platformLabel: string;
  replicas?: number;
  annotations?: Record<string, string>;
  tolerations?: Array<{ key?: string; operator?: 'Exists' | 'Equal'; value?: string; effect?: string }>;
}

const created = new Date().toISOString();

export function nodeObject(n: NodeSpec, resourceVersion: string) {
  const allocatable = { cpu: n.cpu ?? '4', memory: n.memory ?? '8Gi', 'ephemeral-storage': n.ephemeralStorage ?? '100Gi', pods: '110' };
  const ready = n.ready ?? true;
  return {
    metadata: {
      name: n.name,
      uid: randomUUID(),
      resourceVersion,
      creationTimestamp: created,
      labels: { 'kubernetes.io/arch': n.arch, 'kubernetes.io/os': 'linux', 'kubernetes.io/hostname': n.name },
    },
    spec: { ...(n.taints ? { taints: n.taints } : {}), ...(n.unschedulable ? { unschedulable: true } : {}) },
    status: {
      capacity: allocatable,
      allocatable,
      conditions: [
        {
          type: 'Ready',
          status: ready ? 'True' : 'False',
          reason: ready ? 'KubeletReady' : 'KubeletNotReady',
          message: ready ? 'kubelet is posting ready status' : 'container runtime network not ready',
          lastHeartbeatTime: created,
          lastTransitionTime: created,
        },
      ],
      nodeInfo: { architecture: n.arch, operatingSystem: 'linux', kubeletVersion: 'v1.32.0', containerRuntimeVersion: 'containerd://2.0.0' },
    },
  };
}

export interface PoolRecord {
  spec: PoolSpec;
  uid: string;
  replicas: number;
  /** status.replicas / readyReplicas: what the test controller reports as running. */
  running: number;
  ready: number;
  resourceVersion: string;
  generation: number;
}

export function statefulSetObject(p: PoolRecord, namespace: string) {
  const labels = { app: 'archway-agent', 'archway.dev/platform': p.spec.platformLabel };
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: {
      name: p.spec.name,
      namespace,
      uid: p.uid,
      resourceVersion: p.resourceVersion,
      generation: p.generation,
      creationTimestamp: created,
      labels,
      annotations: p.spec.annotations ?? {},
    },
    spec: {
      replicas: p.replicas,
      serviceName: p.spec.name,
      selector: { matchLabels: labels },
      podManagementPolicy: 'Parallel',
      template: {
        metadata: { labels },
        spec: {
          containers: [{ name: 'agent', image: 'registry.example/archway:stand-in' }],
          ...(p.spec.tolerations ? { tolerations: p.spec.tolerations } : {}),
        },
      },
    },
    status: { observedGeneration: p.generation, replicas: p.running, readyReplicas: p.ready, currentReplicas: p.running, availableReplicas: p.ready },
  };
}

export function scaleObject(p: PoolRecord, namespace: string) {
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name: p.spec.name, namespace, uid: p.uid, resourceVersion: p.resourceVersion, creationTimestamp: created },
    spec: { replicas: p.replicas },
    status: { replicas: p.running, selector: `app=archway-agent,archway.dev/platform=${p.spec.platformLabel}` },
  };
}

/** A `Status` failure exactly as the API server writes it. */
export function statusObject(code: number, reason: string, message: string, details?: { name?: string; group?: string; kind?: string }) {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details ? { details } : {}), code };
}
