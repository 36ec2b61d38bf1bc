import type { FlowJob } from 'bullmq';
import { JOB_CATALOG, PUBLISH_QUEUE, buildQueueName, storedPlatform, type BuildJob, type PublishJob } from '@archway/contract';
import type { Build, Task } from '../../generated/prisma/client.ts';

/** Per-build settings of the child jobs (the repository's time limit and secrets, ARCHWAY_BUILD_ATTEMPTS). */
export interface FlowOptions {
  /** Attempts per platform; default JOB_CATALOG.build.attempts. */
  attempts?: number;
  timeoutMs?: number;
  /** The build secrets sealed for one task id. */
  secretsFor?: (taskId: string) => BuildJob['secrets'];
}

/**
 * The BullMQ flow of one build: the `publish` parent (jobId = build id) runs only after every
 * platform's child (jobId = task id) succeeded; one failed child fails the parent, so nothing is
 * published for a partial build.
 */
export function buildFlow(build: Build, tasks: Task[], opts: FlowOptions = {}): FlowJob {
  const publish: PublishJob = {
    buildId: build.id,
    ...(build.image ? { image: build.image } : {}),
    tags: build.tags,
    push: build.push,
    platforms: build.platforms.map(storedPlatform),
  };
  return {
    name: 'publish',
    queueName: PUBLISH_QUEUE,
    data: publish,
    opts: publishJobOptions(build.id),
    children: tasks.map((task) => {
      const platform = storedPlatform(task.platform);
      const job: BuildJob = {
        buildId: build.id,
        taskId: task.id,
        platform,
        source: { url: build.sourceUrl, ref: build.ref, commit: build.commit! },
        ...(build.containerfile ? { containerfile: build.containerfile } : {}),
        context: build.context,
        buildArgs: (build.buildArgs ?? {}) as Record<string, string>,
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
