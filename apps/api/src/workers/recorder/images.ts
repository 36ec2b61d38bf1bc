import type { BuildEvent } from '@archway/contract';
import type { Redis } from 'ioredis';
import { redisKeys } from '@archway/contract';
import type { PrismaClient } from '../../infra/db.ts';

type Published = Extract<BuildEvent, { type: 'build.succeeded' }> & { image: string };

/**
 * One image of a build with several was published: its index digest joins the build's
 * `imageDigests` (one atomic jsonb update, so two images finishing at once both count), and the
 * build succeeds once every image of its request is there. A build that failed or was canceled
 * meanwhile changes no more.
 */
export async function applyImagePublished(prisma: PrismaClient, event: Published, at: Date): Promise<boolean> {
  const added = await prisma.$executeRaw`
    UPDATE "Build" SET "imageDigests" = "imageDigests" || jsonb_build_object(${event.image}::text, ${event.indexDigest}::text)
    WHERE id = ${event.buildId}::uuid AND status IN ('queued', 'running', 'publishing')`;
  if (added === 0) return false;
  await prisma.$executeRaw`
    UPDATE "Build" SET status = 'succeeded', "finishedAt" = ${at}, error = NULL
    WHERE id = ${event.buildId}::uuid AND status IN ('queued', 'running', 'publishing')
      AND (SELECT count(*) FROM jsonb_object_keys("imageDigests")) >= jsonb_array_length(request->'images')`;
  return true;
}

/**
 * When a build of several images fails, the images not yet published must not be: the build id
 * goes into the canceled set, which the merger checks before it starts and before it writes tags
 * (the same stop a cancel uses). A build of one image needs nothing: its publish job failed with
 * its failed task.
 */
export async function stopOtherImages(prisma: PrismaClient, redis: Redis, prefix: string, event: BuildEvent): Promise<void> {
  const failing = (event.type === 'task.failed' && event.final) || event.type === 'build.failed';
  if (!failing) return;
  const build = await prisma.build.findUnique({ where: { id: event.buildId }, select: { status: true, request: true } });
  const several = Array.isArray((build?.request as { images?: unknown } | null)?.images);
  if (build?.status === 'failed' && several) await redis.sadd(redisKeys(prefix).canceled, event.buildId);
}
