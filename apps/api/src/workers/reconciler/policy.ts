import { z } from 'zod';
import { formatDuration, parseDuration } from '../retention/index.ts';

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

export class ReconcileConfigError extends Error {}

const duration = (name: string, fallback: string, minMs: number, zeroMeansOff = false) =>
  z
    .string()
    .default(fallback)
    .transform((v, ctx) => {
      if (zeroMeansOff && v.trim() === '0') return 0;
      const ms = parseDuration(v);
      if (ms === undefined) {
        ctx.addIssue({ code: 'custom', message: `${name} must be a duration like 30s, 5m or 24h${zeroMeansOff ? ', or 0 for off' : ''} (got "${v}")` });
        return z.NEVER;
      }
      if (ms < minMs) {
        ctx.addIssue({ code: 'custom', message: `${name} must be at least ${formatDuration(minMs)} (got "${v}")` });
        return z.NEVER;
      }
      return ms;
    });

const ReconcileEnv = z.object({
  ARCHWAY_RECONCILE_INTERVAL: duration('ARCHWAY_RECONCILE_INTERVAL', '30s', 100),
  ARCHWAY_RECONCILE_GRACE: duration('ARCHWAY_RECONCILE_GRACE', '1m', 0),
  ARCHWAY_AGENT_LOST_AFTER: duration('ARCHWAY_AGENT_LOST_AFTER', '2m', 0),
  ARCHWAY_BUILD_TIMEOUT: duration('ARCHWAY_BUILD_TIMEOUT', '60m', 1000),
  ARCHWAY_TIMEOUT_GRACE: duration('ARCHWAY_TIMEOUT_GRACE', '5m', 0),
  ARCHWAY_QUEUE_WAIT_LIMIT: duration('ARCHWAY_QUEUE_WAIT_LIMIT', '24h', 1000, true),
  ARCHWAY_AGENT_FORGET_AFTER: duration('ARCHWAY_AGENT_FORGET_AFTER', '7d', 1000),
});
type Key = keyof z.input<typeof ReconcileEnv>;

/** Reads the reconciler's variables; empty means unset. Throws a ReconcileConfigError listing every problem. */
export function loadReconcilePolicy(env: Record<string, string | undefined> = process.env): ReconcilePolicy {
  const input = Object.fromEntries(
    (Object.keys(ReconcileEnv.shape) as Key[]).map((k) => [k, env[k] === undefined || env[k] === '' ? undefined : env[k]]),
  );
  const parsed = ReconcileEnv.safeParse(input);
  if (!parsed.success) {
    throw new ReconcileConfigError(`invalid reconciler configuration:\n${parsed.error.issues.map((i) => `  - ${i.message}`).join('\n')}`);
  }
  const e = parsed.data;
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
