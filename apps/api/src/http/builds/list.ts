import type { BuildList, BuildListQuery, BuildStatus } from '@archway/contract';
import { toDbStatus } from '../../infra/build-status.ts';
import type { PrismaClient } from '../../infra/db.ts';
import { BadRequestError } from '../../infra/errors.ts';
import { afterSql, keyset } from '../../infra/keyset.ts';
import { sqlOf } from '../../infra/sql.ts';
import { type BuildSummaryRow, type TaskSummaryRow, UUID_RE, toBuildSummary } from './serialize.ts';

/**
 * Newest first, as summaries (no phases), cut by (createdAt, id) so builds created meanwhile never
 * shift a page. The dashboard polls this list, so it is one plain statement (infra/sql.ts): the
 * page of builds, each with its tasks as JSON. As two Prisma queries it cost about 3 ms of API CPU
 * per page of 50, a third of it Prisma's own (bench/scale part D).
 *
 * Timestamps are `timestamp` columns holding UTC; `AT TIME ZONE 'UTC'` reads them as such whatever
 * the API's time zone. The cursor's condition is keyset.ts's (afterSql), with its index bound
 * (hot-queries.test.ts checks it).
 */
export async function listBuilds(prisma: PrismaClient, q: BuildListQuery): Promise<BuildList> {
  const params: unknown[] = [];
  const param = (value: unknown) => `$${params.push(value)}`;
  const where: string[] = [];
  if (q.status) where.push(`status = ${param(q.status)}::"BuildStatus"`);
  if (q.repoId !== undefined) {
    if (!UUID_RE.test(q.repoId)) throw new BadRequestError('repoId must be a repository id (a UUID)', 'repoId');
    where.push(`"repoId" = ${param(q.repoId)}::uuid`);
  }
  if (q.ref !== undefined) where.push(`ref = ANY(${param([q.ref, `refs/heads/${q.ref}`, `refs/tags/${q.ref}`])}::text[])`);
  const k = keyset(q.cursor, q.limit);
  if (k.cursor) where.push(afterSql(k.cursor, param));
  const rows = await sqlOf(prisma).query<SummarySqlRow>(
    `SELECT b.id, b.status::text AS status, b."sourceUrl", b.ref, b.commit, b.containerfile, b.context, b.platforms, b.image,
       b.tags, b."buildArgs", b.push, b.request, b.trigger, b.reason, b.error, b."indexDigest", b."imageDigests", b."repoId",
       b."triggerRef", b."statusState", b."statusError", b."approvalReason", b."approvedBy",
       b."createdAt" AT TIME ZONE 'UTC' AS "createdAt", b."startedAt" AT TIME ZONE 'UTC' AS "startedAt",
       b."finishedAt" AT TIME ZONE 'UTC' AS "finishedAt", b."approvedAt" AT TIME ZONE 'UTC' AS "approvedAt",
       COALESCE((SELECT json_agg(json_build_object(
         'id', t.id, 'platform', t.platform, 'image', t.image, 'status', t.status, 'agent', t.agent, 'attempts', t.attempts,
         'error', t.error, 'failedStep', t."failedStep", 'exitCode', t."exitCode", 'manifestDigest', t."manifestDigest",
         'baseImages', t."baseImages", 'archiveSize', t."archiveSize",
         'startedAt', t."startedAt" AT TIME ZONE 'UTC', 'finishedAt', t."finishedAt" AT TIME ZONE 'UTC'))
         FROM "Task" t WHERE t."buildId" = b.id), '[]'::json) AS tasks
     FROM (SELECT * FROM "Build" ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
           ORDER BY "createdAt" DESC, id DESC LIMIT ${param(k.take)}) b
     ORDER BY b."createdAt" DESC, b.id DESC`,
    params,
  );
  const { rows: page, nextCursor } = k.page(rows);
  return { items: page.map((b) => toBuildSummary(summaryRow(b))), nextCursor };
}

/** A task as JSON: times as ISO strings, the archive's size as a number. */
type TaskJson = Omit<TaskSummaryRow, 'startedAt' | 'finishedAt' | 'archiveSize'> & {
  startedAt: string | null;
  finishedAt: string | null;
  archiveSize: number | null;
};
type SummarySqlRow = Omit<BuildSummaryRow, 'status' | 'tasks'> & { status: BuildStatus; tasks: TaskJson[] };

/** The statement's row as serialize.ts reads builds: the status as Prisma spells it, tasks' times as dates. */
function summaryRow(b: SummarySqlRow): BuildSummaryRow {
  const date = (s: string | null) => (s === null ? null : new Date(s));
  return {
    ...b,
    status: toDbStatus(b.status),
    tasks: b.tasks.map((t) => ({
      ...t,
      startedAt: date(t.startedAt),
      finishedAt: date(t.finishedAt),
      archiveSize: t.archiveSize === null ? null : BigInt(t.archiveSize),
    })),
  };
}
