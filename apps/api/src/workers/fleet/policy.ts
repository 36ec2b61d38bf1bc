import { formatDuration } from '@archway/contract';

/** One pool's bounds: from its annotations or ARCHWAY_FLEET_* (docs/kubernetes.md, "Autoscaling"). */
export interface PoolBounds {
  min: number;
  max: number;
  cooldownMs: number;
}

/** What the autoscaler sees of one platform at one moment. */
export interface PoolState {
  /** Jobs waiting in the platform's queue (no agent took them yet). */
  waiting: number;
  /** Connected agents of the platform running a build. */
  busy: number;
  /** Connected agents of the platform ready for a job. */
  idle: number;
  /** `spec.replicas` of the pool. */
  desired: number;
}

/**
 * What the policy remembers between two looks at a pool (kept by the caller; a fresh memory
 * — an API replica taking over — only delays a scale-down by one cooldown).
 */
export interface PoolMemory {
  /** Last time the pool needed every replica it had (or more). */
  lastFullAt: number;
  /** Last time the policy changed the replicas. */
  lastScaleAt: number | null;
}

export interface Decision {
  replicas: number;
  /** Why; empty when nothing changes. */
  reason: string;
}

/** A memory for a pool seen for the first time at `now`. */
export function freshMemory(now: number): PoolMemory {
  return { lastFullAt: now, lastScaleAt: null };
}

const clamp = (n: number, b: PoolBounds) => Math.min(b.max, Math.max(b.min, n));

/**
 * The scaling policy, a pure function. One agent per job: the pool needs `busy + waiting`
 * agents, within [min, max].
 *
 * - Up at once when jobs wait beyond the idle agents and the replicas still starting
 *   (`desired - busy - idle`): a queued build never waits for a cooldown. From zero too.
 * - Down only once the pool has needed fewer replicas than it has for a whole cooldown, and
 *   not within a cooldown of its last change (no flapping when jobs come in bursts), to
 *   `busy` (never below min): to zero when min is 0 and nothing runs. The replicas removed
 *   drain (SIGTERM) and finish their build within terminationGracePeriodSeconds.
 * - Outside [min, max] (the bounds changed): back inside at once.
 */
export function decide(s: PoolState, b: PoolBounds, mem: PoolMemory, now: number): { decision: Decision; memory: PoolMemory } {
  const needed = s.busy + s.waiting;
  const target = clamp(needed, b);
  const memory: PoolMemory = { ...mem, lastFullAt: needed >= s.desired ? now : mem.lastFullAt };
  const change = (replicas: number, reason: string) => ({ decision: { replicas, reason }, memory: { ...memory, lastScaleAt: now } });
  const hold = { decision: { replicas: s.desired, reason: '' }, memory };

  if (s.desired < b.min) return change(b.min, `below its minimum ${b.min}`);
  if (s.desired > b.max) return change(b.max, `above its maximum ${b.max}`);

  const starting = Math.max(0, s.desired - s.busy - s.idle);
  if (s.waiting > s.idle + starting && target > s.desired) {
    const why = s.idle === 0 ? 'no agent is idle' : `${s.idle} agent(s) idle`;
    return change(target, `${s.waiting} job(s) waiting, ${why}${starting ? `, ${starting} starting` : ''}`);
  }

  if (target < s.desired && s.waiting === 0) {
    const quietFor = now - memory.lastFullAt;
    const sinceChange = memory.lastScaleAt === null ? Number.POSITIVE_INFINITY : now - memory.lastScaleAt;
    if (quietFor >= b.cooldownMs && sinceChange >= b.cooldownMs) {
      return change(
        target,
        `${s.desired - target} more agent(s) than work for ${formatDuration(quietFor)} (cooldown ${formatDuration(b.cooldownMs)}); ${s.busy} busy`,
      );
    }
  }
  return hold;
}
