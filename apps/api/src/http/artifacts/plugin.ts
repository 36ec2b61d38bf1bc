import type { FastifyInstance } from 'fastify';
import { objectKeys, platformSlug, storedPlatform } from '@archway/contract';
import { platformOfPath } from './platform-path.ts';
import { z } from 'zod';
import { describeRoute } from '../../infra/openapi/describe.ts';
import type { AppDeps } from '../../deps.ts';
import { findBuild } from '../builds/index.ts';
import { NotFoundError } from '../../infra/errors.ts';
import { supplyRoutes } from './supply.ts';

/**
 * Per-platform build outputs: the oci-archive an agent uploaded (an OCI layout as a tar). PR and
 * `push: false` builds keep these as their result; `buildah pull oci-archive:<file>` or
 * `skopeo copy oci-archive:<file> …` use them. Streamed from the object store.
 */
export async function artifactsPlugin(app: FastifyInstance, { deps }: { deps: AppDeps }): Promise<void> {
  supplyRoutes(app, deps);
  // A wildcard, so that `linux/arm64` works unencoded too.
  const schema = describeRoute({
    tags: ['builds'],
    summary: 'Download the oci-archive of one platform',
    description:
      'The rest of the path names the platform: `linux-arm64`, `linux/arm64` or `arm64`. In a build of several images, `?image=<name>` names the image.',
    query: z.object({ image: z.string().optional().describe('The image (`images[].name`) in a build of several') }),
    // The wildcard `*` is the platform; the document names it so (openapi/plugin.ts).
    params: z.object({ id: z.string().describe('The build id'), platform: z.string().describe('`linux-arm64`, `linux/arm64` or `arm64`') }),
    answers: {
      200: {
        type: 'application/x-tar',
        description: 'An OCI layout as a tar (`buildah pull oci-archive:<file>`)',
        schema: { type: 'string', contentMediaType: 'application/x-tar' },
      },
    },
  });
  app.get<{ Params: { id: string; '*': string } }>('/builds/:id/artifacts/*', { schema }, async (request, reply) => {
    const build = await findBuild(deps, request.params.id);
    const platform = request.params['*'];
    const wanted = platformOfPath(platform);
    // A build of several images: `?image=<name>` picks the image (the only one otherwise).
    const image = (request.query as { image?: string }).image ?? '';
    const found = build.tasks.find((t) => t.platform === wanted && t.image === image);
    if (!found) {
      throw new NotFoundError(`build ${build.id} has no platform "${platform}" (it has ${build.platforms.join(', ')})`, 'platform');
    }
    const task = { ...found, platform: storedPlatform(found.platform) };
    if (task.status !== 'built')
      throw new NotFoundError(`the ${task.platform} archive of build ${build.id} does not exist: the task is ${task.status}`, 'platform');
    if (build.archivesDeletedAt) throw new NotFoundError(`the archives of build ${build.id} were removed by the retention policy`, 'platform');
    const key = objectKeys.archive(build.id, task.platform, task.image || undefined);
    const head = await deps.objectStore.head(key);
    if (!head) throw new NotFoundError(`the ${task.platform} archive of build ${build.id} is no longer in the object store`, 'platform');
    return reply
      .type('application/x-tar')
      .header('content-length', String(head.size))
      .header('content-disposition', `attachment; filename="${build.id}-${platformSlug(task.platform)}.tar"`)
      .send(await deps.objectStore.get(key));
  });
}
