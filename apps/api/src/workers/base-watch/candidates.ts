import type { BaseImage } from '@archway/contract';
import type { PrismaClient } from '../../infra/db.ts';
import { parseBaseReference } from './reference.ts';

/** The latest build of one branch of a repository that opted in, with the base images it recorded. */
export interface BranchBuild {
  repoId: string;
  branch: string;
  buildId: string;
  status: string;
  /** canonical reference → digests recorded by its tasks (one per platform, or the index's). */
  bases: Map<string, Set<string>>;
}

/**
 * What the watcher has to care about: for each branch of each repository with
 * `rebuildOnBaseChange`, its newest build (any trigger). Older builds of a branch are history;
 * the newest one's base images are what a rebuild would refresh.
 */
export async function latestBranchBuilds(prisma: PrismaClient): Promise<BranchBuild[]> {
  const rows = await prisma.$queryRaw<Array<{ id: string; repoId: string; triggerRef: string; status: string }>>`
    SELECT DISTINCT ON (b."repoId", b."triggerRef") b."id", b."repoId", b."triggerRef", b."status"::text AS "status"
    FROM "Build" b JOIN "Repo" r ON r."id" = b."repoId"
    WHERE r."rebuildOnBaseChange" AND b."triggerRef" LIKE 'branch:%'
    ORDER BY b."repoId", b."triggerRef", b."createdAt" DESC`;
  if (rows.length === 0) return [];
  const tasks = await prisma.task.findMany({ where: { buildId: { in: rows.map((r) => r.id) } }, select: { buildId: true, baseImages: true } });
  return rows.map((r) => {
    const bases = new Map<string, Set<string>>();
    for (const t of tasks) {
      if (t.buildId !== r.id) continue;
      for (const b of (t.baseImages ?? []) as BaseImage[]) {
        const ref = parseBaseReference(b.reference);
        if (!ref) continue;
        const set = bases.get(ref.canonical) ?? new Set<string>();
        set.add(b.digest);
        bases.set(ref.canonical, set);
      }
    }
    return { repoId: r.repoId, branch: r.triggerRef.slice('branch:'.length), buildId: r.id, status: r.status, bases };
  });
}
