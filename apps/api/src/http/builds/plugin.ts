import type { FastifyInstance } from 'fastify';
import { Build as BuildShape, BuildList, BuildListQuery, BuildRequest, CreatedBuild } from '@archway/contract';
import type { AppDeps } from '../../deps.ts';
import { NotFoundError } from '../../infra/errors.ts';
import { fromDbStatus } from '../../infra/build-status.ts';
import { checkImageAllowed } from '../auth/index.ts';
import { approveBuild } from './approve.ts';
import { cancelBuild } from './cancel.ts';
import { createBuild, type AcceptedRow } from './create.ts';
import { IDEMPOTENCY_HEADER, idempotencyKey, onceForKey, requestHash } from './idempotency.ts';
import { listBuilds } from './list.ts';
import { storedRequest } from './stored-request.ts';
import { BUILD_INCLUDE, UUID_RE, toBuild } from './serialize.ts';
import { describeRoute, IdParams } from '../../infra/openapi/describe.ts';

const tags = ['builds'];
const accepted = CreatedBuild.describe(
  'Accepted in `resolving`: the ref is resolved and the build queued (or failed with the reason) behind the answer. `Location` is its API URL; `url` is its dashboard page.',
);

/** Builds: create, list, show, rebuild, cancel. Mounted under /api/v1. */
export async function buildsPlugin(app: FastifyInstance, { deps }: { deps: AppDeps }): Promise<void> {
  const created = (build: AcceptedRow): CreatedBuild => ({ id: build.id, status: fromDbStatus(build.status), url: `${deps.publicUrl}/builds/${build.id}` });
  const apiUrl = (id: string) => `${deps.publicUrl}/api/v1/builds/${id}`;

  const createSchema = describeRoute({ tags, summary: 'Start a build of a git repository', body: BuildRequest, answers: { 202: accepted } });
  app.post('/builds', { schema: createSchema }, async (request, reply) => {
    const key = idempotencyKey(request.headers[IDEMPOTENCY_HEADER]);
    const req = BuildRequest.parse(request.body);
    checkImageAllowed(request.token, req.image, req.push, 'image', req.targets);
    if (key === undefined || !request.token) {
      const build = await createBuild(deps, req, 'api');
      return reply.code(202).header('location', apiUrl(build.id)).send(created(build));
    }
    // A client that lost the answer retries with the same key and gets the same build.
    const { build, replayed } = await onceForKey(deps.prisma, request.token.id, key, requestHash(req), () => createBuild(deps, req, 'api'));
    if (replayed) reply.header('idempotent-replayed', 'true');
    return reply.code(202).header('location', apiUrl(build.id)).send(created(build));
  });

  const listSchema = describeRoute({ tags, summary: 'List builds, newest first', query: BuildListQuery, answers: { 200: BuildList } });
  app.get('/builds', { schema: listSchema }, async (request) => listBuilds(deps.prisma, BuildListQuery.parse(request.query)));

  // A build's tasks are bounded by construction (one per image and platform), so they come whole
  // with the build, read through Task's (buildId, …) unique index.
  const showSchema = describeRoute({ tags, summary: 'One build with its tasks and phases', params: IdParams, answers: { 200: BuildShape } });
  app.get<{ Params: { id: string } }>('/builds/:id', { schema: showSchema }, async (request) => {
    return toBuild(await findBuild(deps, request.params.id));
  });

  const rebuildSchema = describeRoute({ tags, summary: 'Build the same commit with the same settings again', params: IdParams, answers: { 202: accepted } });
  app.post<{ Params: { id: string } }>('/builds/:id/rebuild', { schema: rebuildSchema }, async (request, reply) => {
    const old = await findBuild(deps, request.params.id);
    // The stored request, commit included, re-submitted as it was: later changes of the
    // repository's settings do not change what is rebuilt (its time limit and secrets do apply).
    const req = storedRequest(old);
    checkImageAllowed(request.token, req.image, req.push, 'image', req.targets);
    const build = await createBuild(deps, req, 'rebuild', { repoId: old.repoId, triggerRef: old.triggerRef });
    return reply.code(202).header('location', apiUrl(build.id)).send(created(build));
  });

  const cancelSchema = describeRoute({
    tags,
    summary: 'Cancel a build waiting for approval, queued or running (no body)',
    description: '200 once the recorder applied the cancel; 202 while it has not yet (the build shown is still open).',
    params: IdParams,
    answers: { 200: BuildShape, 202: BuildShape },
  });
  app.post<{ Params: { id: string } }>('/builds/:id/cancel', { schema: cancelSchema }, async (request, reply) => {
    await findBuild(deps, request.params.id);
    const outcome = await cancelBuild(deps, request.params.id);
    // 202: the recorder has not applied the cancel yet; the build shown is still open.
    return reply.code(outcome === 'canceled' ? 200 : 202).send(toBuild(await findBuild(deps, request.params.id)));
  });

  const approveSchema = describeRoute({
    tags,
    summary: 'Approve a build that waits for approval (no body)',
    description:
      'A pull request from a fork or a first-time contributor waits in `waiting-for-approval` until a token with the `build` scope approves it here (or in the dashboard). 202 with the build, now queued; 409 when it is not waiting (already approved, canceled).',
    params: IdParams,
    answers: { 202: BuildShape },
  });
  app.post<{ Params: { id: string } }>('/builds/:id/approve', { schema: approveSchema }, async (request, reply) => {
    const build = await findBuild(deps, request.params.id);
    const req = storedRequest(build);
    checkImageAllowed(request.token, req.image, req.push);
    await approveBuild(deps, build, request.token?.name ?? 'unknown');
    return reply
      .code(202)
      .header('location', apiUrl(build.id))
      .send(toBuild(await findBuild(deps, build.id)));
  });
}

export async function findBuild(deps: Pick<AppDeps, 'prisma'>, id: string) {
  const build = UUID_RE.test(id) ? await deps.prisma.build.findUnique({ where: { id }, include: BUILD_INCLUDE }) : null;
  if (!build) throw new NotFoundError(`build ${id} not found`, 'id');
  return build;
}
