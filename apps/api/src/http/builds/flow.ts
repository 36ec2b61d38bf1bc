import type { FlowJob } from 'bullmq';
import { JOB_CATALOG, PUBLISH_QUEUE, buildQueueName, storedPlatform, type BuildJob, type PublishJob } from '@archway/contract';
import type { StoredRequest } from './stored-request.ts';

/** Per-build settings of the child jobs (the repository's time limit and secrets, ARCHWAY_BUILD_ATTEMPTS). */
export interface FlowOptions {
  /** Attempts per platform; default JOB_CATALOG.build.attempts. */
  attempts?: number;
  timeoutMs?: number;
  /** The build secrets sealed for one task id. */
  secretsFor?: (taskId: string) => BuildJob['secrets'];
}

/**
 * The BullMQ flow of one build, made from its stored request (never from the row's columns): the
 * `publish` parent (jobId = build id) runs only after every platform's child (jobId = task id)
 * succeeded; one failed child fails the parent, so nothing is published for a partial build.
 */
export function buildFlow(buildId: string, req: StoredRequest, tasks: { id: string; platform: string }[], opts: FlowOptions = {}): FlowJob {
  const publish: PublishJob = {
    buildId,
    ...(req.image ? { image: req.image } : {}),
    tags: req.tags,
    push: req.push,
    platforms: req.platforms,
  };
  return {
    name: 'publish',
    queueName: PUBLISH_QUEUE,
    data: publish,
    opts: publishJobOptions(buildId),
    children: tasks.map((task) => {
      const platform = storedPlatform(task.platform);
      const job: BuildJob = {
        buildId,
        taskId: task.id,
        platform,
        source: { url: req.source.url, ref: req.source.ref, commit: req.source.commit },
        ...(req.containerfile ? { containerfile: req.containerfile } : {}),
        context: req.context,
        ...(req.target ? { target: req.target } : {}),
        buildArgs: req.buildArgs,
        ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
      };
      const secrets = opts.secretsFor?.(task.id);
      if (secrets?.length) job.secrets = secrets;
      return {
        name: 'build',
        queueName: JOB_CATALOG.build.queue(platform),
        data: job,
        opts: {
          jobId: task.id,
          failParentOnFailure: true,
          attempts: opts.attempts ?? JOB_CATALOG.build.attempts,
          backoff: { type: 'exponential', delay: JOB_CATALOG.build.backoffMs },
          removeOnComplete: { age: 7 * 24 * 3600 },
          removeOnFail: { age: 7 * 24 * 3600 },
        },
      };
    }),
  };
}

/** The publish job's options (also when the reconciler queues it again on its own). */
export function publishJobOptions(buildId: string) {
  return {
    jobId: buildId,
    attempts: JOB_CATALOG.publish.attempts,
    backoff: { type: 'exponential', delay: JOB_CATALOG.publish.backoffMs },
    removeOnComplete: { age: 7 * 24 * 3600 },
    removeOnFail: { age: 7 * 24 * 3600 },
  };
}

export { buildQueueName };
