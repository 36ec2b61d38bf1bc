import type { FastifyInstance } from 'fastify';
import { AgentList, QueueDepthList, type AgentView, type QueueDepth } from '@archway/contract';
import { describeRoute } from '../../infra/openapi/describe.ts';
import type { AppDeps } from '../../deps.ts';
import { listAgents, liveAgents } from './registry.ts';
import { queueDepths } from './queues.ts';

/** Agents (live and lost) and the depth of each platform's build queue. */
export async function agentsPlugin(app: FastifyInstance, { deps }: { deps: AppDeps }): Promise<void> {
  const agentsSchema = describeRoute({ tags: ['fleet'], summary: 'Agents: live ones and those whose heartbeat expired (`lost`)', answers: { 200: AgentList } });
  // Agents and queues are bounded by construction: one per machine and platform (lost agents are
  // forgotten after ARCHWAY_AGENT_FORGET_AFTER), one queue per platform.
  app.get('/agents', { schema: agentsSchema }, async (): Promise<{ items: AgentView[] }> => ({ items: await listAgents(deps) }));

  const queuesSchema = describeRoute({ tags: ['fleet'], summary: "Depth of each platform's build queue", answers: { 200: QueueDepthList } });
  app.get('/queues', { schema: queuesSchema }, async (): Promise<{ items: QueueDepth[] }> => {
    const agents = await liveAgents(deps.redis, deps.prefix);
    return { items: await queueDepths(deps, agents) };
  });
}
