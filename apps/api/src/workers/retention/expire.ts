import { FINAL_BUILD_STATUSES, objectKeys, storedPlatform } from '@archway/contract';
import type { ObjectStore } from '@archway/runtime';
import type { Prisma, PrismaClient } from '../../generated/prisma/client.ts';
import type { RetentionCounts, RetentionLog } from './log.ts';
import type { RetentionPolicy } from './policy.ts';
import { removeObject } from './remove.ts';

const FINAL = [...FINAL_BUILD_STATUSES];
/** A store that fails this many builds in a row is down: stop and let the next run retry. */
const MAX_FAILURES_IN_A_ROW = 5;

interface Horizons {
  archives: Date;
  artifacts: Date;
  logs: Date;
}

type Candidate = Prisma.BuildGetPayload<{
  select: {
    id: true;
    status: true;
    push: true;
    finishedAt: true;
    platforms: true;
    archivesDeletedAt: true;
    logsDeletedAt: true;
    tasks: { select: { platform: true; image: true } };
  };
}>;

/** Published images live in the registry; everything else is kept longer as an artifact. */
export function isPublished(b: { status: string; push: boolean }): boolean {
  return b.status === 'succeeded' && b.push;
}

/**
 * Finished builds with archives or logs past their horizon. Only final statuses: archives of
 * queued, running or publishing builds are never touched (the merger may be reading them).
 */
function dueWhere(h: Horizons): Prisma.BuildWhereInput {
  return {
    status: { in: FINAL },
    finishedAt: { not: null },
    OR: [
      { archivesDeletedAt: null, status: 'succeeded', push: true, finishedAt: { lte: h.archives } },
      { archivesDeletedAt: null, status: { in: ['failed', 'canceled'] }, finishedAt: { lte: h.artifacts } },
      { archivesDeletedAt: null, push: false, finishedAt: { lte: h.artifacts } },
      { logsDeletedAt: null, finishedAt: { lte: h.logs } },
    ],
  };
}

/** Expires archives and logs of finished builds, in pages of `batchSize` builds. */
export async function expireBuilds(
  deps: { prisma: PrismaClient; store: ObjectStore; policy: RetentionPolicy; now: Date; log: RetentionLog; batchSize: number; signal?: AbortSignal },
  counts: RetentionCounts,
): Promise<void> {
  const { prisma, policy, now } = deps;
  const ago = (ms: number) => new Date(now.getTime() - ms);
  const h: Horizons = { archives: ago(policy.archivesMs), artifacts: ago(policy.artifactsMs), logs: ago(policy.logsMs) };
  let cursor: string | undefined;
  let failuresInARow = 0;
  for (;;) {
    // Keyset pagination on id: marking rows as expired does not shift the pages.
    const page: Candidate[] = await prisma.build.findMany({
      where: { ...dueWhere(h), ...(cursor ? { id: { gt: cursor } } : {}) },
      orderBy: { id: 'asc' },
      take: deps.batchSize,
      select: {
        id: true,
        status: true,
        push: true,
        finishedAt: true,
        platforms: true,
        archivesDeletedAt: true,
        logsDeletedAt: true,
        tasks: { select: { platform: true, image: true } },
      },
    });
    for (const build of page) {
      deps.signal?.throwIfAborted();
      try {
        await expireBuild(deps, h, build, counts);
        failuresInARow = 0;
      } catch (err) {
        counts.failed++;
        deps.log.warn({ buildId: build.id, err: (err as Error).message }, `retention: could not expire build ${build.id}; the next run retries`);
        if (++failuresInARow >= MAX_FAILURES_IN_A_ROW)
          throw new Error(`retention stopped after ${failuresInARow} failures in a row: ${(err as Error).message}`);
      }
    }
    if (page.length < deps.batchSize) return;
    cursor = page[page.length - 1]!.id;
  }
}

async function expireBuild(
  deps: { prisma: PrismaClient; store: ObjectStore; now: Date; log: RetentionLog },
  h: Horizons,
  build: Candidate,
  counts: RetentionCounts,
): Promise<void> {
  const finishedAt = build.finishedAt!;
  const archivesDue = build.archivesDeletedAt === null && finishedAt <= (isPublished(build) ? h.archives : h.artifacts);
  const logsDue = build.logsDeletedAt === null && finishedAt <= h.logs;
  if (!archivesDue && !logsDue) return;

  // The database says which keys can exist: one archive and one log per platform, and the
  // supply-chain material (SBOM, provenance) that goes with the archive: it describes the same image.
  const platforms = [...new Set([...build.tasks.map((t) => t.platform), ...build.platforms])].map(storedPlatform);
  const keys: { key: string; kind: 'archives' | 'logs' }[] = [];
  for (const platform of platforms) {
    if (archivesDue) {
      keys.push({ key: objectKeys.archive(build.id, platform), kind: 'archives' });
      keys.push({ key: objectKeys.sbom(build.id, platform), kind: 'archives' });
      keys.push({ key: objectKeys.provenance(build.id, platform), kind: 'archives' });
    }
    if (logsDue) keys.push({ key: objectKeys.log(build.id, platform), kind: 'logs' });
  }
  // A build of several images: one archive and one log per image × platform.
  for (const t of build.tasks.filter((x) => x.image)) {
    if (archivesDue) keys.push({ key: objectKeys.archive(build.id, storedPlatform(t.platform), t.image), kind: 'archives' });
    if (logsDue) keys.push({ key: objectKeys.log(build.id, storedPlatform(t.platform), t.image), kind: 'logs' });
  }
  const unique = [...new Map(keys.map((k) => [k.key, k])).values()];

  const removed: string[] = [];
  let bytes = 0;
  let archives = 0;
  let logs = 0;
  for (const { key, kind } of unique) {
    const size = await removeObject(deps.store, key);
    if (size === null) continue;
    removed.push(key);
    bytes += size;
    if (kind === 'archives') archives++;
    else logs++;
  }

  // Guarded: only a build that is still final gets the marks (at-least-once runs stay harmless).
  await deps.prisma.build.updateMany({
    where: { id: build.id, status: { in: FINAL } },
    data: { ...(archivesDue ? { archivesDeletedAt: deps.now } : {}), ...(logsDue ? { logsDeletedAt: deps.now } : {}) },
  });
  counts.builds++;
  counts.archives += archives;
  counts.logs += logs;
  counts.bytes += bytes;
  const what = [archivesDue && 'archives', logsDue && 'logs'].filter(Boolean).join(' and ');
  deps.log.info(
    { buildId: build.id, status: build.status, push: build.push, finishedAt: finishedAt.toISOString(), expired: what, removed, bytes },
    `retention: build ${build.id} (${build.status}${build.push ? '' : ', push: false'}) expired ${what}: removed ${removed.length} object(s), ${bytes} bytes`,
  );
}
