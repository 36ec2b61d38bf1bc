import { buildQueueName, NODE_ARCH_LABEL, type Platform } from '@archway/contract';
import { failWaitingJobs } from '../reconciler/index.ts';
import { record } from './autoscaler.ts';
import type { FleetDeps } from './context.ts';
import { archOf, nodesByArch } from './nodes.ts';
import { agentCounts, type Snapshot } from './observe.ts';

/**
 * Why nothing can ever take a job of `platform`, or undefined when something can: a connected
 * agent, a pool that has or may get a replica, or a schedulable ready node of its architecture
 * (someone may still start an agent there).
 */
export function unservableReason(s: Snapshot, platform: Platform): string | undefined {
  if (agentCounts(s, platform).connected > 0) return undefined;
  const pools = s.pools.filter((p) => p.platform === platform);
  if (pools.some((p) => !p.problem && Math.max(p.desired, p.bounds.max) > 0)) return undefined;
  const arch = archOf(platform);
  const tolerations = pools.flatMap((p) => p.tolerations);
  const group = nodesByArch(
    s.nodes.filter((n) => n.metadata?.labels?.[NODE_ARCH_LABEL] === arch),
    () => tolerations,
  )[0];
  if (group && group.schedulable > 0) return undefined;
  const poolPart =
    pools.length === 0
      ? 'no agent pool serves it'
      : `its pool(s) cannot scale up (${pools.map((p) => p.problem ?? `${p.name}: max ${p.bounds.max}`).join('; ')})`;
  const nodePart = !group
    ? `the cluster has no node of architecture ${arch}`
    : `none of its ${group.nodes.length} node(s) of architecture ${arch} is ready and schedulable`;
  return `${platform}: no agent of ${platform} is connected, ${poolPart} and ${nodePart}`;
}

/**
 * Fails the waiting jobs (older than ARCHWAY_FLEET_FAIL_UNSERVABLE_AFTER) of every platform no
 * agent can come for. Skipped while the cluster could not be read: a refused list is no proof.
 */
export async function failUnservable(deps: FleetDeps, s: Snapshot): Promise<void> {
  if (deps.config.failUnservableAfterMs === 0 || s.errors.length > 0) return;
  for (const [platform, waiting] of s.waiting) {
    if (waiting === 0) continue;
    const reason = unservableReason(s, platform);
    if (!reason) continue;
    const jobs = (await deps.queues.queue(buildQueueName(platform)).getJobs(['waiting', 'prioritized'])).filter(
      (j) => s.at - j.timestamp >= deps.config.failUnservableAfterMs,
    );
    if (jobs.length === 0) continue;
    const failed = await failWaitingJobs(deps, jobs, reason);
    if (failed > 0) await record(deps, { pool: '-', platform, action: 'fail', from: 0, to: 0, reason: `${failed} waiting task(s) failed: ${reason}` });
  }
}
