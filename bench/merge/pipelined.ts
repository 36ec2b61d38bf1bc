// (c) Pipelining through the real flow: the merger (publish worker + early pushes on task.built)
// with stand-in agents. The first platform finishes, is pushed early; then the last one finishes
// and we measure from its `task.built` to the build's `build.succeeded` (tags written).
import { randomUUID } from 'node:crypto';
import { buildQueueName, BuildEvent, PUBLISH_QUEUE, type BuildJob, type BuildResult, type PublishJob } from '@archway/contract';
import { redisKeys } from '@archway/contract';
import { nowIso, publishEvent, type ObjectStore } from '@archway/runtime';
import { FlowProducer, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { EarlyPushState } from '../../apps/merger/src/early-push/state.ts';
import { startMerger } from '../../apps/merger/src/index.ts';

export interface PipelinedTiming {
  /** Last platform's task.built → build.succeeded. */
  afterLast: number;
  /** The first platform's early push (not part of the latency). */
  earlyPush: number;
  /** Registry work after the last platform, from the merger's client stats. */
  afterLastBytes: number;
  afterLastManifests: number;
}

export async function pipelined(opts: {
  redisUrl: string;
  store: ObjectStore;
  registry: string;
  image: string;
  tags: string[];
  results: BuildResult[];
}): Promise<PipelinedTiming> {
  const prefix = `bench${randomUUID().slice(0, 6)}`;
  const [first, last] = opts.results as [BuildResult, BuildResult];
  const merger = await startMerger(
    {
      redisUrl: opts.redisUrl,
      prefix,
      objectStore: 'unused',
      registry: { authFile: null, insecureRegistries: [opts.registry] },
      concurrency: 1,
      platformConcurrency: 2,
      earlyPushes: 2,
      blobConcurrency: 4,
    },
    { store: opts.store, log: () => {} },
  );
  const redis = new Redis(opts.redisUrl, { maxRetriesPerRequest: null });
  const state = new EarlyPushState(redis, prefix, { pollMs: 5 });
  const flows = new FlowProducer({ connection: redis, prefix });
  const buildId = randomUUID();
  let lastBuiltAt = 0;
  let earlyStart = 0;
  let earlyEnd = 0;
  let before = { bytesUploaded: 0, manifestsPut: 0 };
  const client = await merger.registries.client(opts.registry);
  const connections: Redis[] = [];
  const agents = opts.results.map(
    (result) =>
      new Worker(
        buildQueueName(result.platform),
        async (job) => {
          const data = job.data as BuildJob;
          if (result === last) {
            // The last platform finishes once the first one is in the registry.
            for (;;) {
              if ((await state.read(buildId, first.platform))?.state === 'pushed') break;
              await new Promise((r) => setTimeout(r, 5));
            }
            earlyEnd = performance.now();
            before = { ...client.stats };
            lastBuiltAt = Date.now();
          } else {
            earlyStart = performance.now();
          }
          await publishEvent(redis, prefix, { type: 'task.built', buildId, taskId: data.taskId, attempt: 1, result, at: nowIso() });
          return result;
        },
        { connection: connections[connections.push(new Redis(opts.redisUrl, { maxRetriesPerRequest: null })) - 1]!, prefix },
      ),
  );
  try {
    const children = opts.results.map((r) => {
      const data: BuildJob = {
        buildId,
        taskId: r.taskId,
        platform: r.platform,
        source: { url: 'bench', ref: 'main', commit: 'bench' },
        context: '.',
        buildArgs: {},
      };
      return { name: 'build', queueName: buildQueueName(r.platform), data, opts: { jobId: r.taskId, failParentOnFailure: true } };
    });
    const data: PublishJob = { buildId, image: opts.image, tags: opts.tags, push: true, platforms: opts.results.map((r) => r.platform) };
    await flows.add({ name: 'publish', queueName: PUBLISH_QUEUE, data, opts: { jobId: buildId, attempts: 1 }, children });
    for (;;) {
      const entries = await redis.xrange(redisKeys(prefix).events, '-', '+');
      const done = entries
        .map(([, f]) => BuildEvent.parse(JSON.parse(f[1]!)))
        .find((e) => e.buildId === buildId && (e.type === 'build.succeeded' || e.type === 'build.failed'));
      if (done?.type === 'build.failed') throw new Error(`pipelined publish failed: ${done.reason}`);
      if (done) {
        return {
          afterLast: Date.parse(done.at) - lastBuiltAt,
          earlyPush: earlyEnd - earlyStart,
          afterLastBytes: client.stats.bytesUploaded - before.bytesUploaded,
          afterLastManifests: client.stats.manifestsPut - before.manifestsPut,
        };
      }
      await new Promise((r) => setTimeout(r, 2));
    }
  } finally {
    await Promise.all(agents.map((a) => a.close()));
    await merger.close();
    await flows.close();
    for (const c of connections) c.disconnect();
    redis.disconnect();
  }
}
