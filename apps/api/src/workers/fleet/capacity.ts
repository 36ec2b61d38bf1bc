import type { V1Toleration } from '@kubernetes/client-node';
import type { Capacity, CapacityAgents, Platform } from '@archway/contract';
import { formatDuration } from '@archway/contract';
import { liveAgents } from '../../http/agents/index.ts';
import type { FleetDeps } from './context.ts';
import { recentDecisions } from './decisions.ts';
import { archOf, nodesByArch } from './nodes.ts';
import { agentCounts, observe, type Snapshot } from './observe.ts';

function agentRows(s: Pick<Snapshot, 'agents' | 'waiting'>): CapacityAgents[] {
  const platforms = new Set<Platform>([...s.waiting.keys(), ...s.agents.map((a) => a.platform)]);
  return [...platforms].sort().map((platform) => ({ platform, ...agentCounts(s as Snapshot, platform), waiting: s.waiting.get(platform) ?? 0 }));
}

/**
 * `GET /api/v1/capacity`, read live (two list calls): nodes per architecture, pools, connected
 * agents and the recent decisions. With the integration off, the agents and decisions alone.
 */
export async function readCapacity(deps: FleetDeps): Promise<Capacity> {
  const decisions = await recentDecisions(deps.redis, deps.prefix);
  const kube = deps.kube;
  if (!kube) {
    const agents = await liveAgents(deps.redis, deps.prefix);
    return {
      cluster: { state: 'off', reason: deps.offReason ?? 'off', namespace: null, checkedAt: null },
      nodes: [],
      pools: [],
      agents: agentRows({ agents, waiting: new Map() }),
      decisions,
    };
  }
  const s = await observe(deps, kube);
  const tolerations = new Map<string, V1Toleration[]>();
  for (const p of s.pools) tolerations.set(archOf(p.platform), [...(tolerations.get(archOf(p.platform)) ?? []), ...p.tolerations]);
  return {
    cluster: {
      state: s.errors.length ? 'error' : 'on',
      reason: s.errors.length ? s.errors.join('; ') : null,
      namespace: kube.namespace,
      checkedAt: new Date(s.at).toISOString(),
    },
    nodes: nodesByArch(s.nodes, (arch) => tolerations.get(arch) ?? []),
    pools: s.pools.map((p) => ({
      name: p.name,
      platform: p.platform,
      desired: p.desired,
      ready: p.ready,
      min: p.bounds.min,
      max: p.bounds.max,
      cooldown: formatDuration(p.bounds.cooldownMs),
      problem: p.problem,
    })),
    agents: agentRows(s),
    decisions,
  };
}
