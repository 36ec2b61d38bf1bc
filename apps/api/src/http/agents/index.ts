// What other features use of agents: the live agents and the queue depth per platform (metrics).
export { liveAgents, rememberAgents } from './registry.ts';
export { queueDepths } from './queues.ts';
