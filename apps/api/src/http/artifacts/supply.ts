import type { FastifyInstance } from 'fastify';
import { objectKeys, platformSlug, storedPlatform } from '@archway/contract';
import { platformOfPath } from './platform-path.ts';
import { z } from 'zod';
import { describeRoute } from '../../infra/openapi/describe.ts';
import type { AppDeps } from '../../deps.ts';
import { findBuild } from '../builds/index.ts';
import { NotFoundError } from '../../infra/errors.ts';

const DOCUMENTS = {
  sbom: { key: objectKeys.sbom, what: 'SBOM (SPDX 2.3 JSON)', type: 'application/spdx+json', file: 'spdx.json', by: 'the agent after the build' },
  provenance: {
    key: objectKeys.provenance,
    what: 'SLSA provenance v1 (in-toto statement)',
    type: 'application/vnd.in-toto+json',
    file: 'provenance.json',
    by: 'the merger when it publishes',
  },
} as const;

/**
 * A build's supply-chain documents per platform (docs/supply-chain.md): the SBOM the agent wrote
 * and the provenance statement the merger published, as the object store holds them.
 */
export function supplyRoutes(app: FastifyInstance, deps: AppDeps): void {
  for (const [name, doc] of Object.entries(DOCUMENTS)) {
    const schema = describeRoute({
      tags: ['builds'],
      summary: `Download the ${doc.what} of one platform`,
      description: `Written by ${doc.by}. The rest of the path names the platform: \`linux-arm64\`, \`linux/arm64\` or \`arm64\`.`,
      params: z.object({ id: z.string().describe('The build id'), platform: z.string().describe('`linux-arm64`, `linux/arm64` or `arm64`') }),
      answers: { 200: { type: doc.type, description: doc.what, schema: { type: 'object' } } },
    });
    app.get<{ Params: { id: string; '*': string } }>(`/builds/:id/${name}/*`, { schema }, async (request, reply) => {
      const build = await findBuild(deps, request.params.id);
      const wanted = platformOfPath(request.params['*']);
      const found = build.tasks.find((t) => t.platform === wanted);
      if (!found) {
        throw new NotFoundError(`build ${build.id} has no platform "${request.params['*']}" (it has ${build.platforms.join(', ')})`, 'platform');
      }
      const platform = storedPlatform(found.platform);
      const key = doc.key(build.id, platform);
      const head = await deps.objectStore.head(key);
      if (!head) throw new NotFoundError(`build ${build.id} has no ${doc.what} for ${platform} (written by ${doc.by})`, 'platform');
      return reply
        .type(doc.type)
        .header('content-length', String(head.size))
        .header('content-disposition', `attachment; filename="${build.id}-${platformSlug(platform)}.${doc.file}"`)
        .send(await deps.objectStore.get(key));
    });
  }
}
