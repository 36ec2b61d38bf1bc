import type { ObjectStore, StoredObject } from '@archway/runtime';
import type { PrismaClient } from '../../generated/prisma/client.ts';
import type { RetentionCounts, RetentionLog } from './log.ts';

const PREFIXES = ['archives/', 'logs/', 'supply/'] as const;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface OrphanCandidate extends StoredObject {
  buildId: string;
}

/**
 * Deletes objects under archives/, logs/ and supply/ whose build is not in the database (a deleted build,
 * or another installation's leftovers) once they are older than `horizon`. Listing streams and
 * ids are checked in batches, so memory stays flat with the size of the store.
 */
export async function removeOrphans(
  deps: { prisma: PrismaClient; store: ObjectStore; horizon: Date; log: RetentionLog; batchSize: number; signal?: AbortSignal },
  counts: RetentionCounts,
): Promise<void> {
  for (const prefix of PREFIXES) {
    let batch: OrphanCandidate[] = [];
    for await (const obj of deps.store.list(prefix)) {
      // `<prefix><buildId>/<file>`; any other layout is not ours to judge.
      const parts = obj.key.slice(prefix.length).split('/');
      if (parts.length !== 2 || !parts[0] || obj.lastModified > deps.horizon) continue;
      batch.push({ ...obj, buildId: parts[0].toLowerCase() });
      if (batch.length >= deps.batchSize) {
        await sweep(deps, batch, counts);
        batch = [];
      }
    }
    if (batch.length > 0) await sweep(deps, batch, counts);
  }
}

async function sweep(
  deps: { prisma: PrismaClient; store: ObjectStore; log: RetentionLog; signal?: AbortSignal },
  batch: OrphanCandidate[],
  counts: RetentionCounts,
): Promise<void> {
  deps.signal?.throwIfAborted();
  // A key whose id is not a UUID cannot belong to a build (Build.id is a uuid column).
  const ids = [...new Set(batch.map((o) => o.buildId).filter((id) => UUID.test(id)))];
  const known = new Set((await deps.prisma.build.findMany({ where: { id: { in: ids } }, select: { id: true } })).map((b) => b.id.toLowerCase()));
  const byBuild = new Map<string, OrphanCandidate[]>();
  for (const o of batch) {
    if (known.has(o.buildId)) continue;
    byBuild.set(o.buildId, [...(byBuild.get(o.buildId) ?? []), o]);
  }
  for (const [buildId, objects] of byBuild) {
    let bytes = 0;
    for (const o of objects) {
      await deps.store.delete(o.key);
      bytes += o.size;
    }
    counts.orphans += objects.length;
    counts.bytes += bytes;
    deps.log.info(
      { buildId, removed: objects.map((o) => o.key), bytes },
      `retention: removed ${objects.length} orphaned object(s) of unknown build ${buildId}, ${bytes} bytes`,
    );
  }
}
