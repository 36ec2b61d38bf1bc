import type { FastifyInstance } from 'fastify';
import { Capacity } from '@archway/contract';
import { describeRoute } from '../../infra/openapi/describe.ts';
import type { AppDeps } from '../../deps.ts';

/** Cluster capacity beside the connected agents, and the autoscaler's recent decisions (docs/kubernetes.md). */
export async function capacityPlugin(app: FastifyInstance, { deps }: { deps: AppDeps }): Promise<void> {
  const schema = describeRoute({
    tags: ['fleet'],
    summary: 'Cluster capacity: nodes per architecture, agent pools, connected agents, recent scaling decisions',
    answers: { 200: Capacity },
  });
  app.get('/capacity', { schema }, async (): Promise<Capacity> => {
    if (deps.fleet) return deps.fleet.capacity();
    // main.ts always gives a fleet (on or off); an app assembled without one (tests) says so.
    return {
      cluster: { state: 'off', reason: 'no cluster integration in this process', namespace: null, checkedAt: null },
      nodes: [],
      pools: [],
      agents: [],
      decisions: [],
    };
  });
}
