import type { V1Node } from '@kubernetes/client-node';
import { buildQueueName, storedPlatform, type AgentInfo, type Platform } from '@archway/contract';
import { liveAgents } from '../../http/agents/index.ts';
import { listNodes, listPools, type Pool } from './cluster.ts';
import type { FleetDeps } from './context.ts';
import { describeKubeError } from './kube-error.ts';
import type { Kube } from './kube.ts';

/** One look at everything the fleet decides from. A part the cluster refused is empty, with its error. */
export interface Snapshot {
  at: number;
  agents: AgentInfo[];
  /** Waiting jobs per platform: platforms of pools, of live agents and of queued tasks. */
  waiting: Map<Platform, number>;
  pools: Pool[];
  nodes: V1Node[];
  /** Kubernetes API errors of this look (already one line each). */
  errors: string[];
}

export async function observe(deps: FleetDeps, kube: Kube): Promise<Snapshot> {
  const errors: string[] = [];
  const [pools, nodes, agents, queued] = await Promise.all([
    listPools(kube, deps.config.defaults).catch((err) => {
      errors.push(describeKubeError(err, { verb: 'list', resource: 'statefulsets', group: 'apps', namespace: kube.namespace }));
      return [] as Pool[];
    }),
    listNodes(kube).catch((err) => {
      errors.push(describeKubeError(err, { verb: 'list', resource: 'nodes', group: '' }));
      return [] as V1Node[];
    }),
    liveAgents(deps.redis, deps.prefix),
    deps.prisma.task.findMany({ where: { status: 'queued' }, distinct: ['platform'], select: { platform: true } }),
  ]);
  const platforms = new Set<Platform>([...pools.filter((p) => !p.problem).map((p) => p.platform), ...agents.map((a) => a.platform)]);
  for (const t of queued) platforms.add(storedPlatform(t.platform));
  const waiting = new Map<Platform, number>();
  await Promise.all(
    [...platforms].map(async (p) => {
      const c = await deps.queues.queue(buildQueueName(p)).getJobCounts('waiting', 'prioritized');
      waiting.set(p, (c.waiting ?? 0) + (c.prioritized ?? 0));
    }),
  );
  return { at: Date.now(), agents, waiting, pools, nodes, errors };
}

/** Connected agents of a platform: busy (running a build), idle (ready for one), all. */
export function agentCounts(s: Snapshot, platform: Platform): { connected: number; busy: number; idle: number } {
  const mine = s.agents.filter((a) => a.platform === platform);
  return {
    connected: mine.length,
    busy: mine.filter((a) => a.state === 'busy').length,
    idle: mine.filter((a) => a.state === 'idle' && !a.problem).length,
  };
}
