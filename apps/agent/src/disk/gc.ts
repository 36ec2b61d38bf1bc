import type { GcPolicy } from '../env.ts';
import type { Logger } from '../log.ts';
import { formatBytes, resolveSize } from '@archway/contract';
import { runBuildah, storageArgs, storageDirs, type BuildahSettings } from '../task/buildah.ts';
import { diskSpace } from './space.ts';
import { layerChain, readStorageIndex, type StorageIndex } from './storage-index.ts';
import type { CacheUsage } from './usage.ts';

/** A policy in bytes for one filesystem. */
export interface GcLimits {
  reserved: number;
  maxUsed: number;
  minFree: number;
  keepDurationMs: number;
}

export function resolveGcLimits(policy: GcPolicy, totalBytes: number): GcLimits {
  return {
    reserved: resolveSize(policy.reservedSpace, totalBytes),
    maxUsed: resolveSize(policy.maxUsedSpace, totalBytes),
    minFree: resolveSize(policy.minFreeSpace, totalBytes),
    keepDurationMs: policy.keepDurationMs,
  };
}

export type GcReason = 'expired' | 'max-used' | 'min-free';

/**
 * Why the least recently used remaining image should go, or undefined to stop. As in buildkitd:
 * nothing below reservedSpace; above it, entries unused for keepDuration, then LRU entries while
 * the cache exceeds maxUsedSpace or the filesystem has less than minFreeSpace free.
 */
export function gcReason(state: { cacheBytes: number; freeBytes: number }, limits: GcLimits, lastUsed: number, now: number): GcReason | undefined {
  if (state.cacheBytes <= limits.reserved) return undefined;
  if (limits.keepDurationMs > 0 && now - lastUsed > limits.keepDurationMs) return 'expired';
  if (state.cacheBytes > limits.maxUsed) return 'max-used';
  if (state.freeBytes < limits.minFree) return 'min-free';
  return undefined;
}

export interface GcCandidate {
  id: string;
  names: string[];
  lastUsed: number;
  depth: number;
}

/**
 * Least recently used first. A build's images share one time; among them the deepest (the final
 * image) goes first, so the layers under it become free as its cached steps follow.
 */
export function gcOrder(index: StorageIndex, usage: Pick<CacheUsage, 'get'>): GcCandidate[] {
  return index.images
    .map((i) => ({ id: i.id, names: i.names, lastUsed: usage.get(i.id, i.created), depth: layerChain(index, i.topLayer).length }))
    .sort((a, b) => a.lastUsed - b.lastUsed || b.depth - a.depth);
}

export interface GcReport {
  trigger: string;
  removed: { id: string; names: string[]; reason: GcReason; freedBytes: number }[];
  freedBytes: number;
  before: { freeBytes: number; cacheBytes: number };
  after: { freeBytes: number; cacheBytes: number };
}

export interface GcRun {
  settings: BuildahSettings;
  policy: GcPolicy;
  usage: CacheUsage;
  /** Size of the storage, as last measured (du); re-measured when null. */
  cacheBytes: number | null;
  measureCache: () => Promise<number | null>;
  log: Logger;
  trigger: string;
  /** Free space the caller needs, when more than the policy's minFreeSpace (a task about to start). */
  needFreeBytes?: number;
  now?: number;
}

/**
 * One collection pass over the platform's buildah storage. Each removal is followed by a statfs:
 * the bytes freed and the free space are the filesystem's, not estimates. Images working
 * containers use are skipped (buildah refuses them anyway).
 */
export async function collectGarbage(o: GcRun): Promise<GcReport> {
  const dirs = storageDirs(o.settings);
  const start = await diskSpace(o.settings.dataDir);
  const limits = resolveGcLimits(o.policy, start.total);
  if (o.needFreeBytes !== undefined) limits.minFree = Math.max(limits.minFree, o.needFreeBytes);
  let cacheBytes = o.cacheBytes ?? (await o.measureCache()) ?? 0;
  let freeBytes = start.free;
  const before = { freeBytes, cacheBytes };
  const report: GcReport = { trigger: o.trigger, removed: [], freedBytes: 0, before, after: before };
  const index = await readStorageIndex(dirs.root);
  await o.usage.load();
  const now = o.now ?? Date.now();

  for (const c of gcOrder(index, o.usage)) {
    if (index.inUse.has(c.id)) continue;
    const reason = gcReason({ cacheBytes, freeBytes }, limits, c.lastUsed, now);
    if (!reason) break;
    const out: string[] = [];
    const r = await runBuildah(o.settings, [...storageArgs(o.settings), 'rmi', c.id], { onLine: (l) => void out.push(l) });
    if (r.code !== 0) {
      o.log('gc.skip', { image: c.id.slice(0, 12), error: out.at(-1) ?? `exit ${r.code}` }, 'warn');
      continue;
    }
    const space = await diskSpace(o.settings.dataDir);
    const freed = Math.max(0, space.free - freeBytes);
    freeBytes = space.free;
    cacheBytes = Math.max(0, cacheBytes - freed);
    report.removed.push({ id: c.id, names: c.names, reason, freedBytes: freed });
    report.freedBytes += freed;
    o.log('gc.removed', {
      image: c.id.slice(0, 12),
      names: c.names.join(',') || undefined,
      reason,
      lastUsed: new Date(c.lastUsed).toISOString(),
      freed: formatBytes(freed),
    });
  }
  if (report.removed.length > 0) {
    cacheBytes = (await o.measureCache()) ?? cacheBytes;
    const left = await readStorageIndex(dirs.root);
    await o.usage.retain(new Set(left.images.map((i) => i.id)));
  }
  report.after = { freeBytes, cacheBytes };
  // A pass that found nothing to do is not worth a line every task or interval.
  if (report.removed.length === 0) return report;
  o.log('gc.done', {
    trigger: o.trigger,
    removed: report.removed.length,
    freed: formatBytes(report.freedBytes),
    free: formatBytes(freeBytes),
    cache: formatBytes(cacheBytes),
    reserved: formatBytes(limits.reserved),
    maxUsed: formatBytes(limits.maxUsed),
    minFree: formatBytes(limits.minFree),
  });
  return report;
}
