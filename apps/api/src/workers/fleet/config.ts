import { z } from 'zod';
import { formatDuration } from '@archway/contract';
import { defineConfig, field, loadConfig } from '@archway/runtime';
import type { PoolBounds } from './policy.ts';

/** The fleet's settings (apps/api/ENV.md, "Fleet on Kubernetes"). */
export interface FleetConfig {
  fleet: 'auto' | 'off';
  /** Namespace of the agent pools; undefined: the service account's, the kubeconfig context's, else `archway`. */
  namespace: string | undefined;
  /** Time between two looks at queues, agents and pools. */
  intervalMs: number;
  /** Bounds of a pool whose annotations do not set them. */
  defaults: PoolBounds;
  /** Whether autoscaling is on (capacity is shown either way). */
  autoscale: boolean;
  /** A waiting job for a platform nothing can serve fails once it waited this long; 0: never. */
  failUnservableAfterMs: number;
}

export const FleetEnv = z.object({
  ARCHWAY_FLEET: field.oneOf(['auto', 'off'] as const, 'auto'),
  ARCHWAY_FLEET_NAMESPACE: z
    .string()
    .trim()
    .regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'must be a Kubernetes namespace name')
    .optional(),
  ARCHWAY_FLEET_INTERVAL: field.duration({ fallback: '5s', min: 100, max: 600_000 }),
  ARCHWAY_FLEET_AUTOSCALE: field.bool(true),
  ARCHWAY_FLEET_MIN: field.integer({ min: 0, max: 1000, fallback: 0 }),
  ARCHWAY_FLEET_MAX: field.integer({ min: 0, max: 1000, fallback: 4 }),
  ARCHWAY_FLEET_COOLDOWN: field.duration({ fallback: '5m' }),
  ARCHWAY_FLEET_FAIL_UNSERVABLE_AFTER: field.duration({ fallback: '15s' }),
});
export const fleetConfig = defineConfig({ process: 'API', schema: FleetEnv, docs: 'apps/api/ENV.md' });

export function loadFleetConfig(env: Record<string, string | undefined> = process.env): FleetConfig {
  const e = loadConfig(fleetConfig, env);
  return {
    fleet: e.ARCHWAY_FLEET,
    namespace: e.ARCHWAY_FLEET_NAMESPACE,
    intervalMs: e.ARCHWAY_FLEET_INTERVAL,
    defaults: { min: e.ARCHWAY_FLEET_MIN, max: Math.max(e.ARCHWAY_FLEET_MIN, e.ARCHWAY_FLEET_MAX), cooldownMs: e.ARCHWAY_FLEET_COOLDOWN },
    autoscale: e.ARCHWAY_FLEET_AUTOSCALE,
    failUnservableAfterMs: e.ARCHWAY_FLEET_FAIL_UNSERVABLE_AFTER,
  };
}

export function describeFleetConfig(c: FleetConfig): Record<string, string | number | boolean> {
  return {
    interval: formatDuration(c.intervalMs),
    autoscale: c.autoscale,
    min: c.defaults.min,
    max: c.defaults.max,
    cooldown: formatDuration(c.defaults.cooldownMs),
    failUnservableAfter: c.failUnservableAfterMs === 0 ? 'off' : formatDuration(c.failUnservableAfterMs),
  };
}
