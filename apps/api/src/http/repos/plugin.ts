import type { FastifyInstance } from 'fastify';
import {
  DeliveryListQuery,
  Repo,
  RepoBuildCreated,
  RepoBuildRequest,
  RepoCreate,
  RepoList,
  RepoListQuery,
  RepoUpdate,
  WebhookDeliveryList,
  type CreatedBuild,
} from '@archway/contract';
import { describeRoute, IdParams } from '../../infra/openapi/describe.ts';
import { keyset } from '../../infra/keyset.ts';
import type { AppDeps } from '../../deps.ts';
import type { SecretBox } from '../../infra/secrets/secret-box.ts';
import { toDelivery } from '../hooks/index.ts';
import { isPullRef } from './resolve.ts';
import { createRepo, deleteRepo, findRepo, updateRepo } from './service.ts';
import { toRepo } from './serialize.ts';
import { acceptRepoBuild } from './trigger.ts';
import { checkImageAllowed } from '../auth/index.ts';

const tags = ['repos'];
const schemas = {
  create: describeRoute({
    tags,
    summary: 'Register a repository (admin)',
    body: RepoCreate,
    answers: { 201: Repo.describe('Created; `webhookSecret` is shown in this answer only') },
  }),
  list: describeRoute({ tags, summary: 'Registered repositories', query: RepoListQuery, answers: { 200: RepoList } }),
  show: describeRoute({ tags, summary: 'One registered repository', params: IdParams, answers: { 200: Repo } }),
  update: describeRoute({
    tags,
    summary: "Change a repository's settings (admin); only the fields given change",
    params: IdParams,
    body: RepoUpdate,
    bodyOptional: true,
    answers: { 200: Repo.describe('Updated; `webhookSecret` only when it was rotated') },
  }),
  remove: describeRoute({ tags, summary: 'Remove a repository (admin); its builds stay', params: IdParams, answers: { 204: null } }),
  deliveries: describeRoute({
    tags,
    summary: "Its webhook deliveries, newest first, in pages (`cursor`: the previous page's `nextCursor`)",
    params: IdParams,
    query: DeliveryListQuery,
    answers: { 200: WebhookDeliveryList },
  }),
  build: describeRoute({
    tags,
    summary: 'Build a branch, tag or commit of the repository with its settings (body optional: default branch)',
    params: IdParams,
    body: RepoBuildRequest,
    bodyOptional: true,
    answers: {
      202: RepoBuildCreated.describe(
        'Accepted in `resolving`: the ref, `.archway.yaml` and the superseded builds are handled behind the answer (the build then shows `queued`, or `failed` with `error`); `canceled` is always empty now',
      ),
    },
  }),
};

/** Registered repositories: CRUD (admin), their webhook deliveries, and builds of a ref. Under /api/v1. */
export async function reposPlugin(app: FastifyInstance, { deps, secretBox }: { deps: AppDeps; secretBox: SecretBox }): Promise<void> {
  const repoDeps = { prisma: deps.prisma, secretBox, allowLocalSources: deps.allowLocalSources ?? false };

  app.post('/repos', { config: { scope: 'admin' }, schema: schemas.create }, async (request, reply) => {
    const { repo, webhookSecret } = await createRepo(repoDeps, RepoCreate.parse(request.body));
    return reply
      .code(201)
      .header('location', `${deps.publicUrl}/api/v1/repos/${repo.id}`)
      .send(toRepo(repo, deps.publicUrl, webhookSecret));
  });

  // Not paginated: one row per repository an admin registered (the dashboard's repository list and
  // its picker show them all); the builds and deliveries of each are the lists that grow.
  app.get('/repos', { schema: schemas.list }, async (request): Promise<RepoList> => {
    const q = RepoListQuery.parse(request.query);
    const rows = await deps.prisma.repo.findMany({
      where: q.fullName ? { fullName: { equals: q.fullName, mode: 'insensitive' } } : {},
      orderBy: [{ fullName: 'asc' }, { provider: 'asc' }],
    });
    return { items: rows.map((r) => toRepo(r, deps.publicUrl)) };
  });

  app.get<{ Params: { id: string } }>('/repos/:id', { schema: schemas.show }, async (request) =>
    toRepo(await findRepo(deps.prisma, request.params.id), deps.publicUrl),
  );

  app.patch<{ Params: { id: string } }>('/repos/:id', { config: { scope: 'admin' }, schema: schemas.update }, async (request) => {
    const { repo, webhookSecret } = await updateRepo(repoDeps, request.params.id, RepoUpdate.parse(request.body ?? {}));
    return toRepo(repo, deps.publicUrl, webhookSecret);
  });

  app.delete<{ Params: { id: string } }>('/repos/:id', { config: { scope: 'admin' }, schema: schemas.remove }, async (request, reply) => {
    await deleteRepo(deps.prisma, request.params.id);
    return reply.code(204).send();
  });

  app.get<{ Params: { id: string } }>('/repos/:id/deliveries', { schema: schemas.deliveries }, async (request): Promise<WebhookDeliveryList> => {
    const q = DeliveryListQuery.parse(request.query);
    const repo = await findRepo(deps.prisma, request.params.id);
    // Every delivery is kept: keyset pages on the (repoId, createdAt DESC, id) index.
    const k = keyset(q.cursor, q.limit);
    const rows = await deps.prisma.webhookDelivery.findMany({ where: { repoId: repo.id, ...k.after }, orderBy: k.orderBy, take: k.take });
    const { rows: page, nextCursor } = k.page(rows);
    return { items: page.map(toDelivery), nextCursor };
  });

  app.post<{ Params: { id: string } }>('/repos/:id/builds', { schema: schemas.build }, async (request, reply) => {
    const repo = await findRepo(deps.prisma, request.params.id);
    const body = RepoBuildRequest.parse(request.body ?? {});
    // Pull request builds never push; branches and tags push to the repository's image.
    checkImageAllowed(request.token, repo.image, !isPullRef(body.ref ?? repo.defaultBranch), "the repository's image", repo.pushTargets);
    // The ref is resolved (and the commit checked against it) by the resolver, not here.
    const build = await acceptRepoBuild(deps, repo, { ref: body.ref, commit: body.commit }, 'repo');
    const answer: RepoBuildCreated = {
      id: build.id,
      status: build.status as CreatedBuild['status'],
      url: `${deps.publicUrl}/builds/${build.id}`,
      canceled: [],
      // Accepted in `resolving`: a ref that cannot be built fails the build later, with the reason.
      error: null,
    };
    return reply.code(202).header('location', `${deps.publicUrl}/api/v1/builds/${build.id}`).send(answer);
  });
}
