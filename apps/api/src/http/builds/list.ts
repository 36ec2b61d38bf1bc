import type { BuildList, BuildListQuery } from '@archway/contract';
import { toDbStatus } from '../../infra/build-status.ts';
import type { PrismaClient } from '../../infra/db.ts';
import { BadRequestError } from '../../infra/errors.ts';
import type { Prisma } from '../../generated/prisma/client.ts';
import { BUILD_INCLUDE, UUID_RE, toBuild } from './serialize.ts';

interface Cursor {
  createdAt: Date;
  id: string;
}

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify([c.createdAt.toISOString(), c.id])).toString('base64url');
}

export function decodeCursor(text: string): Cursor {
  try {
    const [at, id] = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as [unknown, unknown];
    const createdAt = new Date(String(at));
    if (typeof at !== 'string' || Number.isNaN(createdAt.getTime()) || typeof id !== 'string' || !UUID_RE.test(id)) throw new Error();
    return { createdAt, id };
  } catch {
    throw new BadRequestError('cursor is not valid: pass the nextCursor of a previous page unchanged', 'cursor');
  }
}

/** Newest first; pages are cut by (createdAt, id) so builds created meanwhile never shift a page. */
export async function listBuilds(prisma: PrismaClient, q: BuildListQuery): Promise<BuildList> {
  const where: Prisma.BuildWhereInput = {};
  if (q.status) where.status = toDbStatus(q.status);
  if (q.repoId !== undefined) {
    if (!UUID_RE.test(q.repoId)) throw new BadRequestError('repoId must be a repository id (a UUID)', 'repoId');
    where.repoId = q.repoId;
  }
  if (q.ref !== undefined) where.ref = { in: [q.ref, `refs/heads/${q.ref}`, `refs/tags/${q.ref}`] };
  if (q.cursor) {
    const c = decodeCursor(q.cursor);
    where.OR = [{ createdAt: { lt: c.createdAt } }, { createdAt: c.createdAt, id: { lt: c.id } }];
  }
  const rows = await prisma.build.findMany({
    where,
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: q.limit + 1,
    include: BUILD_INCLUDE,
  });
  const page = rows.slice(0, q.limit);
  const last = page[page.length - 1];
  return { items: page.map(toBuild), nextCursor: rows.length > q.limit && last ? encodeCursor(last) : null };
}
