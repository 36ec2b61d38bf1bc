import { JOB_CATALOG, type BuildEvent, type PhaseKind, type Platform } from '@archway/contract';
import { redisKeys } from '@archway/contract';
import { nowIso, publishEvent, type ObjectStore } from '@archway/runtime';
import { UnrecoverableError, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { z } from 'zod';
import { RegistryError, type RegistryPool } from './registry/index.ts';
import { platformGuard } from './early-push/guard.ts';
import type { EarlyPushState } from './early-push/state.ts';
import { FinalPublishError, PublishCanceled } from './errors.ts';
import { publishBuild } from './publish.ts';
import type { SigningKey } from './signing/key.ts';
import type { SupplyChainObserver } from './metrics/merger-metrics.ts';

export interface PublishDeps {
  redis: Redis;
  prefix: string;
  store: ObjectStore;
  registries: RegistryPool;
  platformConcurrency: number;
  /** Blob uploads at once for the whole build. Default 4. */
  blobConcurrency?: number;
  /** Coordination with early pushes (pipelining); absent: every platform is pushed by the job. */
  early?: EarlyPushState;
  /** ARCHWAY_SIGNING_KEY: indexes are signed (except pull-request builds). */
  signingKey?: SigningKey;
  /** Merger metrics of the attestation and signature steps. */
  supplyObserver?: SupplyChainObserver;
}

export interface PublishJobResult {
  indexDigest: string | null;
  manifests: { platform: string; digest: string }[];
}

type EventBody = BuildEvent extends infer E ? (E extends BuildEvent ? Omit<E, 'buildId' | 'at'> : never) : never;

/**
 * Handles one publish job: reads the children's BuildResults, publishes, and reports through the
 * events stream (the recorder turns them into build state). A bad archive or refused credentials
 * fail for good; registry outages are thrown as they are, for BullMQ to retry.
 */
export async function processPublishJob(job: Job, deps: PublishDeps): Promise<PublishJobResult> {
  const data = parse(JOB_CATALOG.publish.payload, job.data, 'publish job payload');
  const attempt = job.attemptsMade + 1;
  const emit = (e: EventBody) => publishEvent(deps.redis, deps.prefix, { ...e, buildId: data.buildId, at: nowIso() } as BuildEvent);
  // A cancel can reach the flow after its last task was built (the agent missed the message, or
  // the API saw the build still running): the API put the build id in the canceled set.
  const canceled = async () => (await deps.redis.sismember(redisKeys(deps.prefix).canceled, data.buildId)) === 1;
  if (await canceled()) throw new UnrecoverableError('canceled');
  // One image of a build with several: its events say which, its phases and reasons name it.
  const image = data.imageName ? { image: data.imageName } : {};
  const named = (name: string) => (data.imageName ? `${data.imageName}: ${name}` : name);
  if (!data.push) {
    await emit({ type: 'build.succeeded', indexDigest: null, ...image });
    return { indexDigest: null, manifests: [] };
  }

  const open = new Set<string>();
  const phase = async (plain: string, kind: PhaseKind | null) => {
    const name = named(plain);
    if (kind) open.add(name);
    else open.delete(name);
    await emit(kind ? { type: 'phase.started', taskId: null, attempt, name, kind } : { type: 'phase.ended', taskId: null, attempt, name });
  };
  await emit({ type: 'build.publishing' });
  await phase('publish', 'publish');
  try {
    // A publish job the API queued again after Redis lost the flow carries the results itself.
    const results = data.results ?? Object.values(await job.getChildrenValues()).map((v) => parse(JOB_CATALOG.build.result, v, 'a task result'));
    const out = await publishBuild({
      store: deps.store,
      registries: deps.registries,
      job: data,
      results,
      concurrency: deps.platformConcurrency,
      blobConcurrency: deps.blobConcurrency,
      // Early pushes are per build and platform: a build of several images publishes each image itself.
      guard: deps.early && data.image && !data.imageName ? platformGuard(deps.early, data.buildId, data.image) : undefined,
      signingKey: deps.signingKey,
      supplyObserver: deps.supplyObserver,
      hooks: {
        // After a failed early push its phase exists already under the plain name.
        platformStarted: (p, again) => phase(pushPhase(p, again), 'push'),
        platformEnded: (p, again) => phase(pushPhase(p, again), null),
        indexStarted: () => phase('index', 'merge'),
        indexEnded: () => phase('index', null),
        targetStarted: (ref) => phase(`push ${ref}`, 'push'),
        targetEnded: (ref) => phase(`push ${ref}`, null),
        beforeTags: async () => {
          if (await canceled()) throw new PublishCanceled();
        },
      },
    });
    await phase('publish', null);
    await deps.early?.forget(data.buildId).catch(() => {});
    await emit({ type: 'build.succeeded', indexDigest: out.indexDigest, ...image, ...(out.supplyChain ? { supplyChain: out.supplyChain } : {}) });
    return { indexDigest: out.indexDigest, manifests: out.images.map((i) => ({ platform: i.platform, digest: i.digest })) };
  } catch (err) {
    for (const name of [...open].reverse()) await emit({ type: 'phase.ended', taskId: null, attempt, name });
    if (err instanceof PublishCanceled) throw new UnrecoverableError('canceled');
    const reason = data.imageName ? `image ${data.imageName}: ${(err as Error).message}` : (err as Error).message;
    const unrecoverable = err instanceof FinalPublishError || err instanceof UnrecoverableError || (err instanceof RegistryError && !err.retryable);
    if (unrecoverable || attempt >= (job.opts.attempts ?? 1)) await emit({ type: 'build.failed', reason });
    throw unrecoverable && !(err instanceof UnrecoverableError) ? new UnrecoverableError(reason) : err;
  }
}

/** Fails the build of a publish job that BullMQ gave up on after it stalled (see worker.ts). */
export async function reportStalled(redis: Redis, prefix: string, job: Job, log: (line: string) => void): Promise<void> {
  const data = JOB_CATALOG.publish.payload.safeParse(job.data);
  if (!data.success) return;
  const reason = `the publish stopped ${job.stalledCounter} times without finishing (the merger was killed, ran out of memory or lost its Redis connection); see the merger's log`;
  try {
    await publishEvent(redis, prefix, { type: 'build.failed', buildId: data.data.buildId, reason, at: nowIso() });
  } catch (err) {
    log(`merger: could not report the stalled publish of build ${data.data.buildId}: ${(err as Error).message}`);
  }
}

function pushPhase(platform: Platform, again: boolean): string {
  return again ? `push ${platform} (again)` : `push ${platform}`;
}

function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const r = schema.safeParse(value);
  if (!r.success) throw new UnrecoverableError(`${what} is invalid: ${r.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`);
  return r.data;
}
