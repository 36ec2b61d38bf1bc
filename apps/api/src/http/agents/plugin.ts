import type { FastifyInstance } from 'fastify';
import type { AgentView, QueueDepth } from '@archway/contract';
import type { AppDeps } from '../../deps.ts';
import { listAgents, liveAgents } from './registry.ts';
import { queueDepths } from './queues.ts';

/** Agents (live and lost) and the depth of each platform's build queue. */
export async function agentsPlugin(app: FastifyInstance, { deps }: { deps: AppDeps }): Promise<void> {
  app.get('/agents', async (): Promise<{ items: AgentView[] }> => ({ items: await listAgents(deps) }));

  app.get('/queues', async (): Promise<{ items: QueueDepth[] }> => {
    const agents = await liveAgents(deps.redis, deps.prefix);
    return { items: await queueDepths(deps, agents) };
  });
}
