import type { FlowJob } from 'bullmq';
import {
  JOB_CATALOG,
  PUBLISH_QUEUE,
  buildQueueName,
  publishJobId,
  storedPlatform,
  type BuildJob,
  type PublishJob,
  type PublishSupply,
  type TraceCarrier,
} from '@archway/contract';
import type { StoredRequest } from './stored-request.ts';

/** Per-build settings of the child jobs (the repository's time limit and secrets, ARCHWAY_BUILD_ATTEMPTS). */
export interface FlowOptions {
  /** Attempts per platform; default JOB_CATALOG.build.attempts. */
  attempts?: number;
  timeoutMs?: number;
  queueWaitLimitMs?: number;
  /** The build secrets sealed for one task id. */
  secretsFor?: (taskId: string) => BuildJob['secrets'];
  /** The repository's shared layer cache. */
  cache?: BuildJob['cache'];
  /** Provenance parameters and switches for the merger (supply.ts). */
  supply?: PublishSupply;
  /** Trace context of the span queuing the flow (tracing on): every job continues that trace. */
  trace?: TraceCarrier;
}

/** What one image is built from: the request itself, or one of its `images`. */
type ImageSpec = Pick<StoredRequest, 'containerfile' | 'context' | 'target' | 'buildArgs' | 'image' | 'tags' | 'push' | 'platforms'> & { name?: string };

/**
 * The BullMQ flows of one build, made from its stored request (never from the row's columns): per
 * image, a `publish` parent (job id: publishJobId) that runs only after every platform's child
 * (job id = task id) succeeded; one failed child fails its parent, so nothing is published for a
 * partial image. A build of one image has one flow; a build of several, one per image.
 */
export function buildFlows(buildId: string, req: StoredRequest, tasks: { id: string; platform: string; image?: string }[], opts: FlowOptions = {}): FlowJob[] {
  const specs: ImageSpec[] = req.images ?? [req];
  return specs.map((spec) =>
    imageFlow(
      buildId,
      req,
      spec,
      tasks.filter((t) => (t.image ?? '') === (spec.name ?? '')),
      opts,
    ),
  );
}

function imageFlow(buildId: string, req: StoredRequest, spec: ImageSpec, tasks: { id: string; platform: string }[], opts: FlowOptions): FlowJob {
  const publish: PublishJob = {
    buildId,
    ...(spec.name ? { imageName: spec.name } : {}),
    ...(spec.image ? { image: spec.image } : {}),
    // The repository's push targets are extra destinations of its one image (not of `images:`).
    ...(!spec.name && spec.push && req.targets?.length ? { targets: req.targets } : {}),
    tags: spec.tags,
    push: spec.push,
    platforms: spec.platforms,
    ...(opts.supply ? { supply: opts.supply } : {}),
    ...(opts.trace ? { trace: opts.trace } : {}),
  };
  return {
    name: 'publish',
    queueName: PUBLISH_QUEUE,
    data: publish,
    opts: publishJobOptions(publishJobId(buildId, spec.name)),
    children: tasks.map((task) => {
      const platform = storedPlatform(task.platform);
      const job: BuildJob = {
        buildId,
        taskId: task.id,
        platform,
        source: { url: req.source.url, ref: req.source.ref, commit: req.source.commit },
        ...(spec.containerfile ? { containerfile: spec.containerfile } : {}),
        context: spec.context,
        ...(spec.target ? { target: spec.target } : {}),
        ...(spec.name ? { image: spec.name } : {}),
        buildArgs: spec.buildArgs,
        ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
        ...(opts.cache ? { cache: opts.cache } : {}),
        ...(opts.queueWaitLimitMs ? { queueWaitLimitMs: opts.queueWaitLimitMs } : {}),
        ...(opts.trace ? { trace: opts.trace } : {}),
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
export function publishJobOptions(jobId: string) {
  return {
    jobId,
    attempts: JOB_CATALOG.publish.attempts,
    backoff: { type: 'exponential', delay: JOB_CATALOG.publish.backoffMs },
    removeOnComplete: { age: 7 * 24 * 3600 },
    removeOnFail: { age: 7 * 24 * 3600 },
  };
}

export { buildQueueName };
