import type { FastifyInstance } from 'fastify';
import { RepoBuildRequest, RepoCreate, RepoListQuery, RepoUpdate, type CreatedBuild, type RepoList, type WebhookDeliveryList } from '@archway/contract';
import type { AppDeps } from '../../deps.ts';
import type { SecretBox } from '../../infra/secrets/secret-box.ts';
import { toDelivery } from '../hooks/deliveries.ts';
import { resolveRepoTrigger } from './resolve.ts';
import { createRepo, deleteRepo, findRepo, updateRepo } from './service.ts';
import { toRepo } from './serialize.ts';
import { triggerRepoBuild } from './trigger.ts';
import { checkImageAllowed } from '../auth/image-prefixes.ts';

/** Registered repositories: CRUD (admin), their webhook deliveries, and builds of a ref. Under /api/v1. */
export async function reposPlugin(app: FastifyInstance, { deps, secretBox }: { deps: AppDeps; secretBox: SecretBox }): Promise<void> {
  const repoDeps = { prisma: deps.prisma, secretBox, allowLocalSources: deps.allowLocalSources ?? false };

  app.post('/repos', { config: { scope: 'admin' } }, async (request, reply) => {
    const { repo, webhookSecret } = await createRepo(repoDeps, RepoCreate.parse(request.body));
    return reply
      .code(201)
      .header('location', `${deps.publicUrl}/api/v1/repos/${repo.id}`)
      .send(toRepo(repo, deps.publicUrl, webhookSecret));
  });

  app.get('/repos', async (request): Promise<RepoList> => {
    const q = RepoListQuery.parse(request.query);
    const rows = await deps.prisma.repo.findMany({
      where: q.fullName ? { fullName: { equals: q.fullName, mode: 'insensitive' } } : {},
      orderBy: [{ fullName: 'asc' }, { provider: 'asc' }],
    });
    return { items: rows.map((r) => toRepo(r, deps.publicUrl)) };
  });

  app.get<{ Params: { id: string } }>('/repos/:id', async (request) => toRepo(await findRepo(deps.prisma, request.params.id), deps.publicUrl));

  app.patch<{ Params: { id: string } }>('/repos/:id', { config: { scope: 'admin' } }, async (request) => {
    const { repo, webhookSecret } = await updateRepo(repoDeps, request.params.id, RepoUpdate.parse(request.body ?? {}));
    return toRepo(repo, deps.publicUrl, webhookSecret);
  });

  app.delete<{ Params: { id: string } }>('/repos/:id', { config: { scope: 'admin' } }, async (request, reply) => {
    await deleteRepo(deps.prisma, request.params.id);
    return reply.code(204).send();
  });

  app.get<{ Params: { id: string }; Querystring: { limit?: string } }>('/repos/:id/deliveries', async (request): Promise<WebhookDeliveryList> => {
    const repo = await findRepo(deps.prisma, request.params.id);
    const limit = Math.min(200, Math.max(1, Number(request.query.limit) || 50));
    const rows = await deps.prisma.webhookDelivery.findMany({ where: { repoId: repo.id }, orderBy: { createdAt: 'desc' }, take: limit });
    return { items: rows.map(toDelivery) };
  });

  app.post<{ Params: { id: string } }>('/repos/:id/builds', async (request, reply) => {
    const repo = await findRepo(deps.prisma, request.params.id);
    const body = RepoBuildRequest.parse(request.body ?? {});
    const trigger = await resolveRepoTrigger(repo, body.ref, body.commit, deps.gitTimeoutMs);
    // Pull request builds never push; branches and tags push to the repository's image.
    checkImageAllowed(request.token, repo.image, trigger.kind !== 'pr', 'the repository\'s image');
    const { build, canceled } = await triggerRepoBuild(deps, repo, trigger, 'repo');
    const answer: CreatedBuild & { canceled: string[]; error: string | null } = {
      id: build.id,
      status: build.status as CreatedBuild['status'],
      url: `${deps.publicUrl}/builds/${build.id}`,
      canceled,
      error: build.error,
    };
    return reply.code(202).header('location', `${deps.publicUrl}/api/v1/builds/${build.id}`).send(answer);
  });
}
