import { Job } from 'bullmq';
import { RESOLVE_QUEUE } from '@archway/contract';
import { nowIso, publishEvent } from '@archway/runtime';
import type { Build } from '../../generated/prisma/client.ts';
import { enqueueResolve } from '../../http/builds/index.ts';
import type { Sweep } from './context.ts';

/**
 * A build still `resolving` after the grace period: its resolve job is looked up. Missing (the API
 * stopped between the INSERT and the add, or Redis lost it): queued again under the same job id.
 * Failed for good (the resolver's attempts ran out without deciding, e.g. it crashed each time):
 * the build fails through the recorder, saying so. Waiting or active: the resolver is on it.
 */
export async function reconcileResolving(s: Sweep, build: Build): Promise<void> {
  const job = await Job.fromId(s.queues.queue(RESOLVE_QUEUE), build.id);
  if (!job) {
    await enqueueResolve(s.queues, build.id);
    s.counts.requeuedResolves++;
    s.log.warn({ build: build.id }, 'reconciler: resolving build without a resolve job queued again');
    return;
  }
  if ((await job.getState()) !== 'failed') return;
  await publishEvent(s.redis, s.prefix, {
    type: 'build.failed',
    buildId: build.id,
    at: nowIso(),
    reason: `its ref could not be resolved: the resolver gave up after ${job.attemptsMade} attempts (${job.failedReason || 'no reason recorded'}); rebuild it`,
  });
  await job.remove().catch(() => {});
  s.counts.lostBuilds++;
}
