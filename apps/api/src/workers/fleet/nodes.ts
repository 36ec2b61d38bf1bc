import type { V1Node, V1Taint, V1Toleration } from '@kubernetes/client-node';
import { NODE_ARCH_LABEL, platformParts, type CapacityArch, type Platform } from '@archway/contract';
import { parseQuantity } from './quantity.ts';

/** The node architecture (`kubernetes.io/arch`) a platform's agents need: `linux/arm/v7` → `arm`. */
export function archOf(platform: Platform): string {
  return platformParts(platform).architecture;
}

function tolerates(t: V1Toleration, taint: V1Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.operator === 'Exists') return !t.key || t.key === taint.key;
  return t.key === taint.key && (t.value ?? '') === (taint.value ?? '');
}

/** Taints that keep pods with these tolerations off (PreferNoSchedule only discourages). */
export function blockingTaints(node: V1Node, tolerations: V1Toleration[]): string[] {
  return (node.spec?.taints ?? [])
    .filter((taint) => taint.effect !== 'PreferNoSchedule' && !tolerations.some((t) => tolerates(t, taint)))
    .map((t) => `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`);
}

// A quantity this code cannot read counts as nothing rather than failing the page.
const scalar = (q: string | undefined): number => (q ? (parseQuantity(q) ?? 0) : 0);

/**
 * Nodes grouped by architecture, with the resources of those an agent pod could be scheduled on.
 * `tolerationsOf(arch)`: the tolerations of that architecture's pool (none without a pool).
 */
export function nodesByArch(nodes: V1Node[], tolerationsOf: (arch: string) => V1Toleration[]): CapacityArch[] {
  const groups = new Map<string, CapacityArch>();
  for (const n of nodes) {
    const arch = n.metadata?.labels?.[NODE_ARCH_LABEL] ?? 'unknown';
    const g = groups.get(arch) ?? { arch, nodes: [], ready: 0, schedulable: 0, allocatable: { cpu: 0, memoryBytes: 0, ephemeralStorageBytes: 0 } };
    groups.set(arch, g);
    const ready = (n.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
    const a = n.status?.allocatable ?? {};
    const allocatable = { cpu: scalar(a.cpu), memoryBytes: scalar(a.memory), ephemeralStorageBytes: scalar(a['ephemeral-storage']) };
    const node = {
      name: n.metadata?.name ?? '',
      ready,
      cordoned: n.spec?.unschedulable === true,
      allocatable,
      blockingTaints: blockingTaints(n, tolerationsOf(arch)),
    };
    g.nodes.push(node);
    if (ready) g.ready++;
    if (ready && !node.cordoned && node.blockingTaints.length === 0) {
      g.schedulable++;
      g.allocatable.cpu += allocatable.cpu;
      g.allocatable.memoryBytes += allocatable.memoryBytes;
      g.allocatable.ephemeralStorageBytes += allocatable.ephemeralStorageBytes;
    }
  }
  for (const g of groups.values()) g.nodes.sort((a, b) => a.name.localeCompare(b.name));
  return [...groups.values()].sort((a, b) => a.arch.localeCompare(b.arch));
}
