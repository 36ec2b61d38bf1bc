import type { ScaleDecision } from '@archway/contract';
import { readReplicas, scalePool, type Pool } from './cluster.ts';
import type { FleetDeps } from './context.ts';
import { keepDecision } from './decisions.ts';
import { describeKubeError, kubeErrorCode } from './kube-error.ts';
import type { Kube } from './kube.ts';
import { agentCounts, type Snapshot } from './observe.ts';
import { decide, freshMemory, type PoolMemory } from './policy.ts';

/** What the autoscaler carries from one round to the next (in this process only). */
export interface ScalerState {
  memory: Map<string, PoolMemory>;
  /** The last error recorded per pool (or `*` for the cluster), so a lasting one is recorded once. */
  lastError: Map<string, string>;
}

export function newScalerState(): ScalerState {
  return { memory: new Map(), lastError: new Map() };
}

/** Logs a decision and keeps it for the dashboard. */
export async function record(deps: FleetDeps, d: Omit<ScaleDecision, 'at'>): Promise<void> {
  const decision = { at: new Date().toISOString(), ...d };
  const level = d.action === 'error' || d.action === 'fail' ? 'warn' : 'info';
  deps.log[level]({ pool: d.pool, platform: d.platform, action: d.action, from: d.from, to: d.to }, `fleet: ${d.pool} ${d.action}: ${d.reason}`);
  await keepDecision(deps.redis, deps.prefix, decision);
}

/** Records an error unless it is the one already recorded for the same subject. */
export async function recordError(
  deps: FleetDeps,
  state: ScalerState,
  subject: { pool: string; platform: string; replicas: number },
  reason: string,
): Promise<void> {
  if (state.lastError.get(subject.pool) === reason) return;
  state.lastError.set(subject.pool, reason);
  await record(deps, { pool: subject.pool, platform: subject.platform, action: 'error', from: subject.replicas, to: subject.replicas, reason });
}

/** One round: the policy for each pool, then a scale call for those whose replicas change. */
export async function scaleRound(deps: FleetDeps, kube: Kube, snap: Snapshot, state: ScalerState): Promise<void> {
  for (const pool of snap.pools) {
    if (pool.problem) {
      await recordError(deps, state, { pool: pool.name, platform: pool.platform, replicas: pool.desired }, `not scaled: ${pool.problem}`);
      continue;
    }
    const agents = agentCounts(snap, pool.platform);
    const input = { waiting: snap.waiting.get(pool.platform) ?? 0, busy: agents.busy, idle: agents.idle, desired: pool.desired };
    const { decision, memory } = decide(input, pool.bounds, state.memory.get(pool.name) ?? freshMemory(snap.at), snap.at);
    if (decision.replicas === pool.desired) {
      state.memory.set(pool.name, memory);
      continue;
    }
    const ok = await applyScale(deps, kube, state, pool, decision.replicas);
    // A refused change is not remembered as made: the next round decides again from what it sees.
    if (ok) {
      state.memory.set(pool.name, memory);
      await record(deps, {
        pool: pool.name,
        platform: pool.platform,
        action: decision.replicas > pool.desired ? 'up' : 'down',
        from: pool.desired,
        to: decision.replicas,
        reason: decision.reason,
      });
    }
  }
}

async function applyScale(deps: FleetDeps, kube: Kube, state: ScalerState, pool: Pool, replicas: number): Promise<boolean> {
  try {
    await scalePool(kube, pool, replicas);
    state.lastError.delete(pool.name);
    return true;
  } catch (err) {
    let reason = describeKubeError(err, { verb: 'patch', resource: 'statefulsets/scale', group: 'apps', name: pool.name, namespace: kube.namespace });
    if (kubeErrorCode(err) === 409) {
      const now = await readReplicas(kube, pool).catch(() => undefined);
      if (now !== undefined) reason += ` (it now asks for ${now} replica(s); wanted ${pool.desired} → ${replicas})`;
    }
    await recordError(deps, state, { pool: pool.name, platform: pool.platform, replicas: pool.desired }, reason);
    return false;
  }
}
