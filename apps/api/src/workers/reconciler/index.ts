import { redisKeys } from '@archway/contract';
import { withLock } from '../retention/index.ts';
import type { ReconcileDeps, SweepCounts } from './context.ts';
import { describeReconcilePolicy } from './policy.ts';
import { runSweep, type SweepPosition } from './sweep.ts';

export { loadReconcilePolicy, type ReconcilePolicy } from './policy.ts';
export type { ReconcileDeps, SweepCounts } from './context.ts';
export { failWaitingJobs } from './fail-waiting.ts';

export interface Reconciler {
  /** Stops after the sweep in progress (if any) notices. */
  close(): Promise<void>;
}

/**
 * One sweep under the `<prefix>:lock:reconcile` lease, so API replicas never repair the same
 * build twice at once. Null: another replica is sweeping.
 */
export async function sweepExclusive(deps: ReconcileDeps, signal?: AbortSignal, position?: SweepPosition): Promise<SweepCounts | null> {
  const result = await withLock(deps.redis, redisKeys(deps.prefix).lock('reconcile'), (lost) =>
    runSweep(deps, signal ? AbortSignal.any([lost, signal]) : lost, position),
  );
  return result.ran ? result.value : null;
}

/**
 * The reconciler in the API process: a sweep at start, then every ARCHWAY_RECONCILE_INTERVAL
 * (one after another, never overlapping). Failures (Redis or Postgres away) are logged; the next
 * sweep tries again.
 */
export function startReconciler(deps: ReconcileDeps): Reconciler {
  const stop = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  // This replica's place in a backlog longer than one sweep (replicas taking turns each keep theirs).
  const position: SweepPosition = {};

  const tick = async () => {
    try {
      const counts = await sweepExclusive(deps, stop.signal, position);
      const repaired = counts && Object.entries(counts).filter(([, n]) => n > 0);
      if (repaired && repaired.length > 0) deps.log.info(Object.fromEntries(repaired), 'reconciler: sweep repaired');
    } catch (err) {
      deps.log.error({ err: (err as Error).message }, 'reconciler: sweep failed; retrying next interval');
    }
    if (!stop.signal.aborted) timer = setTimeout(() => void (running = tick()), deps.policy.intervalMs);
  };
  running = tick();
  deps.log.info({ policy: describeReconcilePolicy(deps.policy) }, 'reconciler started');

  return {
    async close() {
      stop.abort();
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
