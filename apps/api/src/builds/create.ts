import type { BuildRequest } from '@archway/shared';
import type { PrismaClient } from '../db.ts';
import { ServiceUnavailableError } from '../errors.ts';
import type { Queues } from '../queue/queues.ts';
import type { Build } from '../generated/prisma/client.ts';
import { buildFlow } from './flow.ts';
import { checkSourceUrl, resolveRef } from './git.ts';

export interface CreateBuildDeps {
  prisma: PrismaClient;
  queues: Queues;
  gitTimeoutMs?: number;
}

/** Where a build came from, for builds of a registered repository (webhooks, repo builds, their rebuilds). */
export interface BuildOrigin {
  repoId?: string | null;
  /** `branch:<name>`, `tag:<name>` or `pr:<number>` */
  triggerRef?: string | null;
}

/**
 * Turns a validated request into a Build with one Task per platform and its BullMQ flow.
 * Either both exist afterwards or neither: if the flow cannot be added the rows are deleted.
 */
export async function createBuild(deps: CreateBuildDeps, req: BuildRequest, trigger = 'api', origin: BuildOrigin = {}): Promise<Build> {
  checkSourceUrl(req.source.url);
  const commit = req.source.commit ?? (await resolveRef(req.source.url, req.source.ref, deps.gitTimeoutMs));

  // One nested create is one transaction: the build never exists without its tasks.
  const build = await deps.prisma.build.create({
    data: {
      sourceUrl: req.source.url,
      ref: req.source.ref,
      commit,
      containerfile: req.containerfile ?? null,
      context: req.context,
      platforms: req.platforms,
      image: req.image ?? null,
      tags: req.tags,
      buildArgs: req.buildArgs,
      push: req.push,
      trigger,
      repoId: origin.repoId ?? null,
      triggerRef: origin.triggerRef ?? null,
      tasks: { create: req.platforms.map((platform) => ({ platform })) },
    },
    include: { tasks: true },
  });

  try {
    await deps.queues.flow.add(buildFlow(build, build.tasks));
  } catch (err) {
    await deps.prisma.build.delete({ where: { id: build.id } }).catch(() => {});
    throw new ServiceUnavailableError(`the build could not be queued (Redis: ${(err as Error).message}); nothing was created, try again`);
  }
  return build;
}
