import type { FastifyInstance } from 'fastify';
import { BuildListQuery, BuildRequest, type CreatedBuild } from '@archway/contract';
import type { AppDeps } from '../../deps.ts';
import { NotFoundError } from '../../infra/errors.ts';
import { checkImageAllowed } from '../auth/image-prefixes.ts';
import { cancelBuild } from './cancel.ts';
import { createBuild } from './create.ts';
import { IDEMPOTENCY_HEADER, idempotencyKey, onceForKey, requestHash } from './idempotency.ts';
import { listBuilds } from './list.ts';
import { BUILD_INCLUDE, UUID_RE, toBuild } from './serialize.ts';
import type { Build } from '../../generated/prisma/client.ts';

/** Builds: create, list, show, rebuild, cancel. Mounted under /api/v1. */
export async function buildsPlugin(app: FastifyInstance, { deps }: { deps: AppDeps }): Promise<void> {
  const created = (build: Build): CreatedBuild => ({ id: build.id, status: 'queued', url: `${deps.publicUrl}/builds/${build.id}` });
  const apiUrl = (id: string) => `${deps.publicUrl}/api/v1/builds/${id}`;

  app.post('/builds', async (request, reply) => {
    const key = idempotencyKey(request.headers[IDEMPOTENCY_HEADER]);
    const req = BuildRequest.parse(request.body);
    checkImageAllowed(request.token, req.image, req.push);
    if (key === undefined || !request.token) {
      const build = await createBuild(deps, req, 'api');
      return reply.code(202).header('location', apiUrl(build.id)).send(created(build));
    }
    // A client that lost the answer retries with the same key and gets the same build.
    const { build, replayed } = await onceForKey(deps.prisma, request.token.id, key, requestHash(req), () => createBuild(deps, req, 'api'));
    if (replayed) reply.header('idempotent-replayed', 'true');
    return reply.code(202).header('location', apiUrl(build.id)).send(created(build));
  });

  app.get('/builds', async (request) => listBuilds(deps.prisma, BuildListQuery.parse(request.query)));

  app.get<{ Params: { id: string } }>('/builds/:id', async (request) => {
    return toBuild(await findBuild(deps, request.params.id));
  });

  app.post<{ Params: { id: string } }>('/builds/:id/rebuild', async (request, reply) => {
    const old = await findBuild(deps, request.params.id);
    // Same commit and settings; parsing again applies today's validation to the stored values.
    const req = BuildRequest.parse({
      source: { url: old.sourceUrl, ref: old.ref, ...(old.commit ? { commit: old.commit } : {}) },
      ...(old.containerfile ? { containerfile: old.containerfile } : {}),
      context: old.context,
      platforms: old.platforms,
      ...(old.image ? { image: old.image } : {}),
      tags: old.tags,
      buildArgs: old.buildArgs,
      push: old.push,
    });
    checkImageAllowed(request.token, req.image, req.push);
    const build = await createBuild(deps, req, 'rebuild', { repoId: old.repoId, triggerRef: old.triggerRef });
    return reply.code(202).header('location', apiUrl(build.id)).send(created(build));
  });

  app.post<{ Params: { id: string } }>('/builds/:id/cancel', async (request) => {
    await findBuild(deps, request.params.id);
    await cancelBuild(deps, request.params.id);
    return toBuild(await findBuild(deps, request.params.id));
  });
}

export async function findBuild(deps: Pick<AppDeps, 'prisma'>, id: string) {
  const build = UUID_RE.test(id) ? await deps.prisma.build.findUnique({ where: { id }, include: BUILD_INCLUDE }) : null;
  if (!build) throw new NotFoundError(`build ${id} not found`, 'id');
  return build;
}
