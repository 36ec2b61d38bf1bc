import { rememberAgents } from '../../http/agents/index.ts';
import type { Sweep } from './context.ts';

/**
 * Records every live agent (so one that dies later is listed `lost` with its last task, whether
 * or not anyone listed agents meanwhile) and forgets lost ones whose last heartbeat is older
 * than ARCHWAY_AGENT_FORGET_AFTER.
 */
export async function recordAgents(s: Sweep): Promise<void> {
  await rememberAgents(s.prisma, s.live);
  const gone = await s.prisma.agent.deleteMany({
    where: { lastHeartbeat: { lt: new Date(s.now - s.policy.forgetAgentsMs) }, id: { notIn: s.live.map((a) => a.id) } },
  });
  s.counts.forgottenAgents += gone.count;
}
