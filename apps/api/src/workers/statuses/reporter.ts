import { Queue, UnrecoverableError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { isFinalBuildStatus, type BuildEvent } from '@archway/contract';
import { redisKeys } from '@archway/contract';
import type { PrismaClient } from '../../infra/db.ts';
import type { SecretBox } from '../../infra/secrets/secret-box.ts';
import { StatusPostError } from './client.ts';
import { DEFAULT_STATUS_RETRY, enqueueStatus, STATUS_QUEUE, type SkipStatusJob, type StatusJob, type StatusRetry } from './queue.ts';
import { reportSkipped, reportStatus } from './report.ts';
import { SecretBoxError } from '../../infra/secrets/secret-box.ts';
import type { ApiMetrics } from '../../metrics/api-metrics.ts';

export interface ReporterDeps {
  prisma: PrismaClient;
  redis: Redis;
  prefix: string;
  publicUrl: string;
  secretBox: SecretBox;
  retry?: StatusRetry;
  concurrency?: number;
  log?: { warn(obj: object, msg?: string): void; info(obj: object, msg?: string): void };
  /** Counts reports by outcome. */
  metrics?: Pick<ApiMetrics, 'commitStatuses'>;
}

export interface StatusReporter {
  /** Queues the status the build's current state calls for (once per stage); throws when Redis refuses. */
  sync(buildId: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * Events that end a build, after which its final commit status is due. The pending one is queued
 * when the build is triggered (repos/trigger.ts): no lookup per task start for it.
 */
export function changesStatus(event: BuildEvent): boolean {
  return (
    event.type === 'build.succeeded' ||
    event.type === 'build.failed' ||
    event.type === 'build.cancel-requested' ||
    (event.type === 'task.failed' && event.final)
  );
}

/**
 * Drives commit statuses from build state changes: listens to `buildChanged` (published by the
 * recorder, also for a cancel), turns each change of a repository's build into a job on the
 * `statuses` queue (`pending` or `final`, once each), and posts them with retries and backoff.
 */
export async function startStatusReporter(deps: ReporterDeps): Promise<StatusReporter> {
  const retry = deps.retry ?? DEFAULT_STATUS_RETRY;
  const worker = new Worker<StatusJob | SkipStatusJob>(
    STATUS_QUEUE,
    async (job) => {
      try {
        const outcome = 'buildId' in job.data ? await reportStatus(deps, job.data) : await reportSkipped(deps, job.data);
        deps.metrics?.commitStatuses.inc({ outcome });
        return outcome;
      } catch (err) {
        const what = 'buildId' in job.data ? { buildId: job.data.buildId, stage: job.data.stage } : { repoId: job.data.repoId, commit: job.data.commit };
        deps.log?.warn({ ...what, attempt: job.attemptsMade + 1, err: (err as Error).message }, 'commit status not reported');
        const permanent = (err instanceof StatusPostError && err.permanent) || err instanceof SecretBoxError;
        deps.metrics?.commitStatuses.inc({ outcome: permanent ? 'refused' : 'failed' });
        if (permanent) throw new UnrecoverableError((err as Error).message);
        throw err;
      }
    },
    {
      connection: deps.redis.duplicate({ maxRetriesPerRequest: null, enableOfflineQueue: true, connectionName: 'archway-statuses' }),
      prefix: deps.prefix,
      concurrency: deps.concurrency ?? 4,
    },
  );
  worker.on('error', (err) => deps.log?.warn({ err: err.message }, 'statuses worker error'));
  const queue = new Queue<StatusJob>(STATUS_QUEUE, { connection: deps.redis, prefix: deps.prefix, skipMetasUpdate: true });
  queue.on('error', () => {});

  const sub = deps.redis.duplicate({ maxRetriesPerRequest: null, enableOfflineQueue: true, connectionName: 'archway-statuses-sub' });
  sub.on('error', () => {});
  sub.on('message', (_channel: string, buildId: string) => {
    void onChange(buildId).catch((err) => deps.log?.warn({ buildId, err: (err as Error).message }, 'commit status not queued'));
  });
  await sub.subscribe(redisKeys(deps.prefix).buildChanged);

  async function onChange(buildId: string): Promise<void> {
    const build = await deps.prisma.build.findUnique({ where: { id: buildId }, select: { status: true, repoId: true } });
    if (!build?.repoId) return;
    // A commit the repository's rules skipped: its build ends `canceled`, but the forge gets the
    // resolver's `skipped` status (success, with the reason), never a cancel.
    if (build.status === 'canceled' && (await deps.prisma.webhookDelivery.count({ where: { buildId, result: 'skipped' } })) > 0) return;
    const stage = isFinalBuildStatus(build.status)
      ? 'final'
      : build.status === 'waiting_for_approval'
        ? 'waiting'
        : build.status === 'queued'
          ? 'pending'
          : 'running';
    await enqueueStatus(queue, { buildId, stage }, retry);
  }

  return {
    sync: onChange,
    async close() {
      sub.disconnect();
      await worker.close();
      await queue.close();
    },
  };
}
