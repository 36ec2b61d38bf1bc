import { buildQueueName, redisKeys, type Capacity } from '@archway/contract';
import { withLock } from '../retention/index.ts';
import { newScalerState, recordError, scaleRound } from './autoscaler.ts';
import { readCapacity } from './capacity.ts';
import { describeFleetConfig } from './config.ts';
import type { FleetDeps } from './context.ts';
import { observe } from './observe.ts';
import { failUnservable } from './unservable.ts';
import { watchQueued } from './wake.ts';

export { loadFleetConfig, type FleetConfig } from './config.ts';
export { loadKube, type Kube } from './kube.ts';
export type { FleetDeps } from './context.ts';

/** The cluster integration in the API process (docs/kubernetes.md). */
export interface Fleet {
  capacity(): Promise<Capacity>;
  /** One round now (tests, and the loop). */
  round(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts the fleet loop when a cluster is configured: every ARCHWAY_FLEET_INTERVAL, under the
 * `<prefix>:lock:fleet` lease (one API replica scales at a time), look at queues, agents, pools
 * and nodes; scale the pools; fail what can never be served. Off: one log line saying why, and
 * the capacity answer says the same; nothing else changes.
 */
export function startFleet(deps: FleetDeps, opts: { loop?: boolean } = {}): Fleet {
  const state = newScalerState();
  /** The build queues of the pools seen last: a job added to one wakes the loop at once. */
  let watched: string[] = [];
  const round = async () => {
    const kube = deps.kube;
    if (!kube) return;
    await withLock(
      deps.redis,
      redisKeys(deps.prefix).lock('fleet'),
      async () => {
        const snap = await observe(deps, kube);
        watched = [...new Set(snap.pools.filter((p) => !p.problem).map((p) => buildQueueName(p.platform)))];
        for (const e of snap.errors) await recordError(deps, state, { pool: '*', platform: '*', replicas: 0 }, e);
        if (snap.errors.length === 0) state.lastError.delete('*');
        if (deps.config.autoscale) await scaleRound(deps, kube, snap, state);
        await failUnservable(deps, snap);
      },
      { ttlMs: Math.max(10_000, 3 * deps.config.intervalMs) },
    );
  };

  if (!deps.kube) {
    deps.log.info({ reason: deps.offReason }, `fleet: cluster integration off: ${deps.offReason}`);
    return { capacity: () => readCapacity(deps), round, close: async () => {} };
  }
  deps.log.info(
    { source: deps.kube.source, server: deps.kube.server, namespace: deps.kube.namespace, ...describeFleetConfig(deps.config) },
    'fleet: cluster integration on',
  );
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  // One round at a time: a wake-up during a round runs one more right after it.
  const tick = (): void => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    if (timer) clearTimeout(timer);
    running = round()
      .catch((err) => deps.log.error({ err: (err as Error).message }, 'fleet: round failed; retrying next interval'))
      .finally(() => {
        running = undefined;
        if (stopped) return;
        if (again) {
          again = false;
          setImmediate(tick);
        } else timer = setTimeout(tick, deps.config.intervalMs);
      });
  };
  const loop = opts.loop !== false;
  const wake = loop ? watchQueued(wakeConnection(deps), deps.prefix, () => watched, tick) : undefined;
  if (loop) tick();
  return {
    capacity: () => readCapacity(deps),
    round,
    async close() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await wake?.stop();
      await running;
    },
  };
}

/** The wake-up reader's own connection (XREAD BLOCK ties it up); its errors surface as failed reads. */
function wakeConnection(deps: FleetDeps) {
  const conn = deps.redis.duplicate({ connectionName: 'archway-fleet-wake' });
  conn.on('error', () => {});
  return conn;
}
