import { Job } from 'bullmq';
import {
  PUBLISH_QUEUE,
  TaskSupply,
  buildQueueName,
  isOpenTaskStatus,
  publishJobId,
  redisKeys,
  storedPlatform,
  type BuildResult,
  type PublishJob,
} from '@archway/contract';
import { nowIso, publishEvent } from '@archway/runtime';
import type { Build, Task } from '../../generated/prisma/client.ts';
import { publishJobOptions, publishSupply, repoSupplySettings, requeueBuildFlow, storedRequest, withCommit } from '../../http/builds/index.ts';
import { HttpError } from '../../infra/errors.ts';
import type { Sweep } from './context.ts';
import { enforceDeadlines } from './deadlines.ts';
import { reportTaskFailed, stopBuildJobs } from './fail.ts';
import { reconcileResolving } from './resolving.ts';

type BuildRow = Build & { tasks: Task[] };

const LOST = 'its jobs were lost from Redis (Redis restarted without its data, or failed over to a replica that lagged behind)';

/**
 * Compares one open build (older than the grace period) with its BullMQ jobs and repairs what
 * does not match; each repair leaves its reason on the build or its tasks.
 */
export async function reconcileBuild(s: Sweep, build: BuildRow): Promise<void> {
  if (build.status === 'resolving') return reconcileResolving(s, build);
  const parent = await publishParent(s, build);
  if (build.status === 'publishing') {
    if (!parent) await requeuePublish(s, build);
    return;
  }
  const jobs = new Map<string, Job | undefined>();
  for (const t of build.tasks) jobs.set(t.id, await Job.fromId(s.queues.queue(buildQueueName(storedPlatform(t.platform))), t.id));
  const open = build.tasks.filter((t) => isOpenTaskStatus(t.status));
  const refs = build.tasks.map((t) => ({ id: t.id, buildId: build.id, platform: t.platform }));

  if (!parent) {
    if (await anyHeld(s, build.tasks, jobs)) return; // an agent works on it right now: look again next sweep
    if (build.tasks.every((t) => t.status === 'queued' && t.attempts === 0)) return requeueFlow(s, build, jobs);
    if (open.length === 0 && build.tasks.every((t) => t.status === 'built')) return requeuePublish(s, build);
    return failLost(s, build, open, refs);
  }
  if (open.some((t) => !jobs.get(t.id))) return failLost(s, build, open, refs); // the parent would wait for it forever
  for (const t of open) {
    if (await enforceDeadlines(s, { ...refs.find((r) => r.id === t.id)!, attempts: t.attempts }, refs, jobs.get(t.id)!)) return;
  }
}

/**
 * The build's publish job; for a build of several images, the first image's, and only when every
 * image's exists (a missing one is repaired like a missing flow).
 */
async function publishParent(s: Sweep, build: BuildRow): Promise<Job | undefined> {
  const names = [...new Set(build.tasks.map((t) => t.image))];
  const parents = await Promise.all(names.map((n) => Job.fromId(s.queues.queue(PUBLISH_QUEUE), publishJobId(build.id, n || undefined))));
  return parents.every(Boolean) ? parents[0] : undefined;
}

async function anyHeld(s: Sweep, tasks: Task[], jobs: Map<string, Job | undefined>): Promise<boolean> {
  for (const t of tasks) {
    if (!jobs.get(t.id)) continue;
    if ((await s.redis.exists(`${s.prefix}:${buildQueueName(storedPlatform(t.platform))}:${t.id}:lock`)) === 1) return true;
  }
  return false;
}

/**
 * The flow never reached Redis (the API stopped between the commit and `flow.add`) or was lost
 * before any agent started it: queued again with the same job ids, so a concurrent add (the API
 * finishing after all, another replica's sweep) cannot duplicate it. Stray children go first.
 */
async function requeueFlow(s: Sweep, build: BuildRow, jobs: Map<string, Job | undefined>): Promise<void> {
  for (const job of jobs.values()) await job?.remove().catch(() => {});
  try {
    await requeueBuildFlow(s, build, build.tasks);
  } catch (err) {
    // Redis refusing is retried next sweep; an HttpError means the repository's settings (its build
    // secrets) cannot be read or sealed any more: the build would never be queued.
    if (!(err instanceof HttpError)) throw err;
    const message = err.message;
    await publishEvent(s.redis, s.prefix, {
      type: 'build.failed',
      buildId: build.id,
      at: nowIso(),
      reason: `its jobs were not in Redis and it cannot be queued again: ${message}`,
    });
    return;
  }
  const reason = `queued again by the reconciler: ${LOST.replace('were lost from Redis', 'were not in Redis')}, or the API stopped before queueing it`;
  await s.prisma.task.updateMany({ where: { buildId: build.id, status: 'queued', attempts: 0 }, data: { error: reason } });
  await s.redis.publish(redisKeys(s.prefix).buildChanged, build.id);
  s.counts.requeuedFlows++;
  s.log.warn({ build: build.id }, 'reconciler: build without jobs queued again');
}

/**
 * Every platform is built but the publish job is gone: queued again on its own, carrying the
 * results Postgres recorded (its children's return values went with the flow).
 */
async function requeuePublish(s: Sweep, build: BuildRow): Promise<void> {
  if (build.tasks.some((t) => t.image)) {
    // Not rebuilt per image here: a build of several images whose publish jobs were lost fails, to be rebuilt.
    await publishEvent(s.redis, s.prefix, { type: 'build.failed', buildId: build.id, at: nowIso(), reason: `${LOST}; rebuild it` });
    s.counts.lostBuilds++;
    return;
  }
  const results: BuildResult[] = [];
  for (const t of build.tasks) {
    if (t.status !== 'built' || !t.archiveKey || t.archiveSize === null || !t.archiveDigest || !t.manifestDigest) {
      await publishEvent(s.redis, s.prefix, {
        type: 'build.failed',
        buildId: build.id,
        at: nowIso(),
        reason: `${LOST}, and ${t.platform} has no recorded result to publish again; rebuild it`,
      });
      s.counts.lostBuilds++;
      return;
    }
    results.push({
      taskId: t.id,
      platform: storedPlatform(t.platform),
      archiveKey: t.archiveKey,
      archiveSize: Number(t.archiveSize),
      archiveDigest: t.archiveDigest,
      manifestDigest: t.manifestDigest,
      ...(TaskSupply.safeParse(t.supply).success ? { supply: TaskSupply.parse(t.supply) } : {}),
    });
  }
  // The provenance parameters and switches as createBuild gave them (docs/supply-chain.md).
  const supply = build.commit
    ? publishSupply(s.publicUrl, withCommit(storedRequest(build), build.commit), await repoSupplySettings(s.prisma, build.repoId), build.triggerRef)
    : undefined;
  const data: PublishJob = {
    buildId: build.id,
    ...(build.image ? { image: build.image } : {}),
    tags: build.tags,
    push: build.push,
    platforms: build.platforms.map(storedPlatform),
    results,
    ...(supply ? { supply } : {}),
  };
  await s.queues.queue(PUBLISH_QUEUE).add('publish', data, publishJobOptions(build.id));
  await s.prisma.build.updateMany({
    where: { id: build.id, status: { in: ['queued', 'running', 'publishing'] } },
    data: { error: `publish queued again by the reconciler: ${LOST.replace('its jobs were', 'its publish job was')}` },
  });
  await s.redis.publish(redisKeys(s.prefix).buildChanged, build.id);
  s.counts.requeuedPublishes++;
  s.log.warn({ build: build.id }, 'reconciler: publish job queued again');
}

/**
 * Started work whose jobs are gone cannot resume safely (an agent may still finish an attempt
 * BullMQ forgot, attempt numbers would start over): the build fails saying so, to be rebuilt.
 */
async function failLost(s: Sweep, build: BuildRow, open: Task[], refs: { id: string; buildId: string; platform: string }[]): Promise<void> {
  for (const t of open) {
    const attempt = t.status === 'running' ? t.attempts : t.attempts + 1;
    await reportTaskFailed(s, { id: t.id, buildId: build.id, platform: t.platform }, { attempt, cause: 'error', reason: `${t.platform}: ${LOST}; rebuild it` });
  }
  if (open.length === 0) await publishEvent(s.redis, s.prefix, { type: 'build.failed', buildId: build.id, at: nowIso(), reason: `${LOST}; rebuild it` });
  await stopBuildJobs(s, build.id, refs);
  s.counts.lostBuilds++;
  s.log.warn({ build: build.id }, 'reconciler: build whose jobs were lost failed');
}
