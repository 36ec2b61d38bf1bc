import type { BuildList, BuildListQuery } from '@archway/contract';
import { toDbStatus } from '../../infra/build-status.ts';
import type { PrismaClient } from '../../infra/db.ts';
import { BadRequestError } from '../../infra/errors.ts';
import { keyset } from '../../infra/keyset.ts';
import type { Prisma } from '../../generated/prisma/client.ts';
import { SUMMARY_INCLUDE, UUID_RE, toBuildSummary } from './serialize.ts';

/**
 * Newest first, as summaries (no phases: two queries per page whatever the builds' sizes). Pages
 * are cut by (createdAt, id) so builds created meanwhile never shift a page.
 */
export async function listBuilds(prisma: PrismaClient, q: BuildListQuery): Promise<BuildList> {
  const where: Prisma.BuildWhereInput = {};
  if (q.status) where.status = toDbStatus(q.status);
  if (q.repoId !== undefined) {
    if (!UUID_RE.test(q.repoId)) throw new BadRequestError('repoId must be a repository id (a UUID)', 'repoId');
    where.repoId = q.repoId;
  }
  if (q.ref !== undefined) where.ref = { in: [q.ref, `refs/heads/${q.ref}`, `refs/tags/${q.ref}`] };
  const k = keyset(q.cursor, q.limit);
  const rows = await prisma.build.findMany({ where: { ...where, ...k.after }, orderBy: k.orderBy, take: k.take, include: SUMMARY_INCLUDE });
  const { rows: page, nextCursor } = k.page(rows);
  return { items: page.map(toBuildSummary), nextCursor };
}
