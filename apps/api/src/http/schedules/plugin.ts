import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { Schedule, ScheduleCreate, ScheduleList, ScheduleUpdate } from '@archway/contract';
import { describeRoute, IdParams } from '../../infra/openapi/describe.ts';
import type { AppDeps } from '../../deps.ts';
import { SCHEDULES_QUEUE } from '../../workers/schedules/index.ts';
import { findRepo } from '../repos/index.ts';
import { createSchedule, deleteSchedule, findSchedule, toSchedule, updateSchedule } from './service.ts';

const tags = ['schedules'];
const OneParams = IdParams.extend({ scheduleId: z.string().describe('The schedule id (a UUID)') });
const schemas = {
  list: describeRoute({ tags, summary: "A repository's cron schedules", params: IdParams, answers: { 200: ScheduleList } }),
  create: describeRoute({
    tags,
    summary: 'Build a branch on a cron schedule (admin)',
    description:
      'Each firing builds the head of the branch with trigger `schedule`, unless the previous build of that branch is still open: then the run is skipped and `lastMessage` says why. An invalid expression or time zone answers 400 and creates nothing.',
    params: IdParams,
    body: ScheduleCreate,
    answers: { 201: Schedule },
  }),
  update: describeRoute({
    tags,
    summary: 'Change a schedule (admin); only the fields given change',
    params: OneParams,
    body: ScheduleUpdate,
    answers: { 200: Schedule },
  }),
  remove: describeRoute({ tags, summary: 'Remove a schedule (admin)', params: OneParams, answers: { 204: null } }),
};

/** /api/v1/repos/:id/schedules: Postgres rows mirrored as BullMQ job schedulers (workers/schedules). */
export async function schedulesPlugin(app: FastifyInstance, { deps }: { deps: AppDeps }): Promise<void> {
  const queue = () => deps.queues.queue(SCHEDULES_QUEUE);

  // Bounded by construction, not paginated: a repository has at most 20 schedules (service.ts).
  app.get<{ Params: { id: string } }>('/repos/:id/schedules', { schema: schemas.list }, async (request): Promise<ScheduleList> => {
    const repo = await findRepo(deps.prisma, request.params.id);
    const rows = await deps.prisma.schedule.findMany({ where: { repoId: repo.id }, orderBy: { createdAt: 'asc' } });
    return { items: rows.map((r) => toSchedule(r)) };
  });

  app.post<{ Params: { id: string } }>('/repos/:id/schedules', { config: { scope: 'admin' }, schema: schemas.create }, async (request, reply) => {
    const repo = await findRepo(deps.prisma, request.params.id);
    const row = await createSchedule(deps.prisma, queue(), repo.id, ScheduleCreate.parse(request.body));
    return reply.code(201).send(toSchedule(row));
  });

  app.patch<{ Params: { id: string; scheduleId: string } }>(
    '/repos/:id/schedules/:scheduleId',
    { config: { scope: 'admin' }, schema: schemas.update },
    async (request) => {
      const repo = await findRepo(deps.prisma, request.params.id);
      const current = await findSchedule(deps.prisma, repo.id, request.params.scheduleId);
      return toSchedule(await updateSchedule(deps.prisma, queue(), current, ScheduleUpdate.parse(request.body ?? {})));
    },
  );

  app.delete<{ Params: { id: string; scheduleId: string } }>(
    '/repos/:id/schedules/:scheduleId',
    { config: { scope: 'admin' }, schema: schemas.remove },
    async (request, reply) => {
      const repo = await findRepo(deps.prisma, request.params.id);
      await deleteSchedule(deps.prisma, queue(), await findSchedule(deps.prisma, repo.id, request.params.scheduleId));
      return reply.code(204).send();
    },
  );
}
