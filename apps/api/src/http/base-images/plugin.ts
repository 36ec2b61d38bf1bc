import type { FastifyInstance } from 'fastify';
import { WatchedBaseImageList } from '@archway/contract';
import { describeRoute } from '../../infra/openapi/describe.ts';
import type { AppDeps } from '../../deps.ts';

const schema = describeRoute({
  tags: ['base-images'],
  summary: 'Base images the watcher polls, with the digest it last saw',
  description:
    "The base images the newest build of each branch of a repository with `rebuildOnBaseChange` was built on. When one's digest changes, those branches are rebuilt with trigger `base-image`.",
  answers: { 200: WatchedBaseImageList },
});

/** /api/v1/base-images: the base-image watcher's state (workers/base-watch), read only. */
export async function baseImagesPlugin(app: FastifyInstance, { deps }: { deps: AppDeps }): Promise<void> {
  // Bounded, not paginated: one row per base image the newest builds of watching repositories'
  // branches use, and at most 1,000 of them are shown.
  app.get('/base-images', { schema }, async (): Promise<WatchedBaseImageList> => {
    const rows = await deps.prisma.baseImageWatch.findMany({ orderBy: { reference: 'asc' }, take: 1000 });
    return {
      items: rows.map((r) => ({
        reference: r.reference,
        digest: r.digest,
        checkedAt: r.checkedAt?.toISOString() ?? null,
        changedAt: r.changedAt?.toISOString() ?? null,
        nextCheckAt: r.nextCheckAt.toISOString(),
        failures: r.failures,
        error: r.error,
      })),
    };
  });
}
