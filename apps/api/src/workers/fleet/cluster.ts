import { PatchStrategy, setHeaderOptions, type V1Node, type V1Toleration } from '@kubernetes/client-node';
import { POOL_ANNOTATIONS, POOL_LABELS, parseDuration, platformOrUndefined, type Platform } from '@archway/contract';
import type { Kube } from './kube.ts';
import type { PoolBounds } from './policy.ts';

/** One agent pool as listed: a StatefulSet labelled `archway.dev/platform`. */
export interface Pool {
  name: string;
  platform: Platform;
  desired: number;
  ready: number;
  resourceVersion: string;
  bounds: PoolBounds;
  tolerations: V1Toleration[];
  /** Why its annotations cannot be used (then it is shown, never scaled). */
  problem: string | null;
}

/** The pools of the namespace (one list call: `list statefulsets` with a label selector). */
export async function listPools(kube: Kube, defaults: PoolBounds): Promise<Pool[]> {
  const list = await kube.apps.listNamespacedStatefulSet({ namespace: kube.namespace, labelSelector: POOL_LABELS.platform });
  const pools: Pool[] = [];
  for (const s of list.items) {
    const name = s.metadata?.name ?? '';
    const slug = s.metadata?.labels?.[POOL_LABELS.platform] ?? '';
    const platform = platformOrUndefined(slug.replace(/-/g, '/'));
    const parsed = poolBounds(s.metadata?.annotations ?? {}, defaults);
    pools.push({
      name,
      platform: platform ?? (slug as Platform),
      desired: s.spec?.replicas ?? 1,
      ready: s.status?.readyReplicas ?? 0,
      resourceVersion: s.metadata?.resourceVersion ?? '',
      bounds: parsed.bounds,
      tolerations: s.spec?.template?.spec?.tolerations ?? [],
      problem: platform ? parsed.problem : `label ${POOL_LABELS.platform}=${slug} names no platform (write it as linux-arm64)`,
    });
  }
  return pools.sort((a, b) => a.platform.localeCompare(b.platform) || a.name.localeCompare(b.name));
}

/** A pool's min/max/cooldown: its annotations, else the configured defaults. */
export function poolBounds(annotations: Record<string, string>, defaults: PoolBounds): { bounds: PoolBounds; problem: string | null } {
  const problems: string[] = [];
  const int = (key: string, fallback: number) => {
    const v = annotations[key];
    if (v === undefined) return fallback;
    if (!/^\d{1,4}$/.test(v.trim())) {
      problems.push(`${key}: "${v}" is not a whole number`);
      return fallback;
    }
    return Number(v);
  };
  const min = int(POOL_ANNOTATIONS.min, defaults.min);
  const max = int(POOL_ANNOTATIONS.max, defaults.max);
  let cooldownMs = defaults.cooldownMs;
  const c = annotations[POOL_ANNOTATIONS.cooldown];
  if (c !== undefined) {
    const ms = parseDuration(c);
    if (ms === undefined) problems.push(`${POOL_ANNOTATIONS.cooldown}: "${c}" is not a duration like 5m`);
    else cooldownMs = ms;
  }
  if (max < min) problems.push(`${POOL_ANNOTATIONS.max} (${max}) is below ${POOL_ANNOTATIONS.min} (${min})`);
  return { bounds: { min, max: Math.max(min, max), cooldownMs }, problem: problems.length ? problems.join('; ') : null };
}

export async function listNodes(kube: Kube): Promise<V1Node[]> {
  return (await kube.core.listNode()).items;
}

/**
 * Sets a pool's replicas through the `scale` subresource, on the condition that the StatefulSet
 * is still the version listed (a merge patch carrying resourceVersion): a concurrent change
 * (kubectl scale, another controller) answers 409 instead of being overwritten.
 */
export async function scalePool(kube: Kube, pool: Pool, replicas: number): Promise<void> {
  await kube.apps.patchNamespacedStatefulSetScale(
    { name: pool.name, namespace: kube.namespace, body: { metadata: { resourceVersion: pool.resourceVersion }, spec: { replicas } } },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
}

/** The replicas a pool has now (after a 409: what the concurrent change set). */
export async function readReplicas(kube: Kube, pool: Pool): Promise<number | undefined> {
  const scale = await kube.apps.readNamespacedStatefulSetScale({ name: pool.name, namespace: kube.namespace });
  return scale.spec?.replicas;
}
