import { z } from 'zod';
import { formatDuration } from '@archway/contract';
import { defineConfig, field, loadConfig } from '@archway/runtime';

/** The reconciler's periods and bounds, in milliseconds (apps/api/ENV.md, "Reconciler"). */
export interface ReconcilePolicy {
  /** How often the sweep runs (and once at start). */
  intervalMs: number;
  /** A build younger than this is never repaired: the API creating it may still be adding its flow. */
  graceMs: number;
  /** A task whose job lock expired and whose agent sends no heartbeat fails after this long (agent-lost). */
  agentLostMs: number;
  /** The time limit assumed for a job without `timeoutMs` (the agents' ARCHWAY_AGENT_BUILD_TIMEOUT). */
  buildTimeoutMs: number;
  /** Added to a task's time limit before the API fails it: the agent's own timer goes first. */
  timeoutGraceMs: number;
  /** A task waiting for an agent longer than this fails (queue-wait); 0: never. */
  queueWaitLimitMs: number;
  /** Lost agents stay listed this long after their last heartbeat. */
  forgetAgentsMs: number;
}

/** The reconciler's variables (apps/api/ENV.md, "Reconciler"; test/docs/env-tables.test.ts checks the table). */
export const ReconcileEnv = z.object({
  ARCHWAY_RECONCILE_INTERVAL: field.duration({ fallback: '30s', min: 100 }),
  ARCHWAY_RECONCILE_GRACE: field.duration({ fallback: '1m' }),
  ARCHWAY_AGENT_LOST_AFTER: field.duration({ fallback: '2m' }),
  ARCHWAY_BUILD_TIMEOUT: field.duration({ fallback: '60m', min: 1000 }),
  ARCHWAY_TIMEOUT_GRACE: field.duration({ fallback: '5m' }),
  // 0: off; otherwise at least a second.
  ARCHWAY_QUEUE_WAIT_LIMIT: field.duration({ fallback: '24h' }).refine((ms) => ms === 0 || ms >= 1000, 'must be 0 (off) or at least 1s'),
  ARCHWAY_AGENT_FORGET_AFTER: field.duration({ fallback: '7d', min: 1000 }),
});
export const reconcileConfig = defineConfig({ process: 'API', schema: ReconcileEnv, docs: 'apps/api/ENV.md' });

/** Reads the reconciler's variables; empty means unset. Throws a ConfigError listing every problem. */
export function loadReconcilePolicy(env: Record<string, string | undefined> = process.env): ReconcilePolicy {
  const e = loadConfig(reconcileConfig, env);
  return {
    intervalMs: e.ARCHWAY_RECONCILE_INTERVAL,
    graceMs: e.ARCHWAY_RECONCILE_GRACE,
    agentLostMs: e.ARCHWAY_AGENT_LOST_AFTER,
    buildTimeoutMs: e.ARCHWAY_BUILD_TIMEOUT,
    timeoutGraceMs: e.ARCHWAY_TIMEOUT_GRACE,
    queueWaitLimitMs: e.ARCHWAY_QUEUE_WAIT_LIMIT,
    forgetAgentsMs: e.ARCHWAY_AGENT_FORGET_AFTER,
  };
}

export function describeReconcilePolicy(p: ReconcilePolicy): Record<string, string> {
  return {
    interval: formatDuration(p.intervalMs),
    grace: formatDuration(p.graceMs),
    agentLost: formatDuration(p.agentLostMs),
    buildTimeout: formatDuration(p.buildTimeoutMs),
    timeoutGrace: formatDuration(p.timeoutGraceMs),
    queueWaitLimit: p.queueWaitLimitMs === 0 ? 'off' : formatDuration(p.queueWaitLimitMs),
    forgetAgents: formatDuration(p.forgetAgentsMs),
  };
}
