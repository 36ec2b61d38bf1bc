import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { isFinalTaskStatus, objectKeys, platformOrUndefined, platformSlug, storedPlatform } from '@archway/contract';
import { redisKeys } from '@archway/contract';
import type { AppDeps } from '../../deps.ts';
import { findBuild } from '../builds/index.ts';
import { BadRequestError, NotFoundError } from '../../infra/errors.ts';
import { openSse } from '../../infra/sse/sse.ts';
import { logText } from './redis-log.ts';
import { streamLog } from './stream.ts';
import { z } from 'zod';
import { describeRoute, IdParams } from '../../infra/openapi/describe.ts';

const STREAM_ID = /^\d+-\d+$/;

const LogQuery = z.object({
  platform: z.string().optional().describe("Which platform's log (`linux/arm64`); may be left out when the build has one"),
  image: z.string().optional().describe('Which image (`images[].name`) in a build of several; required there'),
  download: z.enum(['1', 'true']).optional().describe('Answer as a file download (Content-Disposition)'),
});
const logSchema = describeRoute({
  tags: ['builds'],
  summary: 'The log of one platform as text (so far, while it runs)',
  params: IdParams,
  query: LogQuery,
  answers: { 200: { type: 'text/plain', description: 'The log lines' } },
});
const streamSchema = describeRoute({
  tags: ['builds', 'events'],
  summary: 'The log of one platform, live, as Server-Sent Events',
  description: 'Each `line` event is one log line; its id resumes the stream (`Last-Event-ID`). An `end` event follows once the task has finished.',
  params: IdParams,
  query: LogQuery.pick({ platform: true, image: true }),
  headers: z.object({ 'last-event-id': z.string().regex(STREAM_ID).optional().describe('Resume after this event id') }),
  answers: { 200: { type: 'text/event-stream', description: 'Server-Sent Events' } },
});

interface LogRoute {
  Params: { id: string };
  Querystring: { platform?: string; image?: string; download?: string };
}

const stored = <T extends { platform: string }>(task: T) => ({ ...task, platform: storedPlatform(task.platform) });

/** Build logs per platform: the whole text, or a live Server-Sent Events stream. */
export async function logsPlugin(app: FastifyInstance, { deps }: { deps: AppDeps }): Promise<void> {
  async function findTask(id: string, platform: string | undefined, image: string | undefined) {
    const build = await findBuild(deps, id);
    const names = [...new Set(build.tasks.map((t) => t.image).filter(Boolean))];
    if (names.length > 0 && !names.includes(image ?? '')) {
      throw new BadRequestError(`image is required for a build of several images: one of ${names.join(', ')}`, 'image');
    }
    const tasks = build.tasks.filter((t) => t.image === (names.length > 0 ? image : ''));
    if (platform === undefined || platform === '') {
      if (tasks.length === 1) return { build, task: stored(tasks[0]!) };
      throw new BadRequestError(`platform is required: one of ${tasks.map((t) => t.platform).join(', ')}`, 'platform');
    }
    // `?platform=` in any spelling; one Archway cannot name is simply not among the build's.
    const wanted = platformOrUndefined(platform);
    const task = tasks.find((t) => t.platform === wanted);
    if (!task) throw new NotFoundError(`build ${id} has no platform "${platform}" (it has ${tasks.map((t) => t.platform).join(', ')})`, 'platform');
    return { build, task: stored(task) };
  }

  app.get<LogRoute>('/builds/:id/logs', { schema: logSchema }, async (request, reply) => {
    const { build, task } = await findTask(request.params.id, request.query.platform, request.query.image);
    const finished = isFinalTaskStatus(task.status);
    reply.type('text/plain; charset=utf-8').header('cache-control', 'no-store');
    if (request.query.download === '1' || request.query.download === 'true') {
      reply.header('content-disposition', `attachment; filename="archway-${build.id}-${platformSlug(task.platform)}.log"`);
    }
    if (finished) {
      const key = objectKeys.log(build.id, task.platform, task.image || undefined);
      if (await deps.objectStore.head(key)) return reply.send(await deps.objectStore.get(key));
    }
    const streamKey = redisKeys(deps.prefix).log(task.id);
    if (finished && (await deps.redis.exists(streamKey)) === 0) {
      throw new NotFoundError(`the log of ${task.platform} for build ${build.id} is no longer available`, 'platform');
    }
    return reply.send(Readable.from(logText(deps.redis, streamKey)));
  });

  app.get<LogRoute>('/builds/:id/logs/stream', { schema: streamSchema }, async (request, reply) => {
    const { task } = await findTask(request.params.id, request.query.platform, request.query.image);
    const lastEventId = request.headers['last-event-id'];
    const after = typeof lastEventId === 'string' && lastEventId !== '' ? lastEventId : undefined;
    if (after !== undefined && !STREAM_ID.test(after)) {
      throw new BadRequestError('Last-Event-ID must be the id of a previous event (e.g. 1700000000000-0)', 'Last-Event-ID');
    }
    const sse = openSse(request, reply, deps.heartbeatMs);
    await streamLog({
      redis: deps.redis,
      key: redisKeys(deps.prefix).log(task.id),
      after,
      isFinished: async () => {
        const t = await deps.prisma.task.findUnique({ where: { id: task.id }, select: { status: true } });
        return !t || isFinalTaskStatus(t.status);
      },
      sse,
      log: request.log,
    });
  });
}
