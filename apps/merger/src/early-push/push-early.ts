import { parseImageName, PublishJob, type BuildEvent } from '@archway/contract';
import { nowIso, publishEvent, type ObjectStore } from '@archway/runtime';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { RegistryPool } from '../registry/index.ts';
import { pushPlatform } from '../push-platform.ts';
import { recordKey, sameArchive, type EarlyPushState } from './state.ts';

export type TaskBuilt = Extract<BuildEvent, { type: 'task.built' }>;

export interface EarlyPushDeps {
  redis: Redis;
  prefix: string;
  store: ObjectStore;
  registries: RegistryPool;
  state: EarlyPushState;
  /** The publish queue, to read the parent job of a build. */
  publishQueue: Queue;
  /** Blob uploads at once per early push. Default 4. */
  blobConcurrency?: number;
  log: (line: string) => void;
}

/** Parent states in which the publish job has not finished yet. */
const OPEN = new Set(['waiting-children', 'waiting', 'prioritized', 'delayed', 'active']);

export type EarlyOutcome = 'pushed' | 'failed' | 'skipped';

/**
 * Pushes one built platform's blobs and manifest by digest while the build's other platforms are
 * still building. Never writes a tag. A failure is recorded, not thrown: the publish job then
 * pushes that platform itself.
 */
export async function pushEarly(event: TaskBuilt, deps: EarlyPushDeps, signal: AbortSignal): Promise<EarlyOutcome> {
  const { state } = deps;
  const result = event.result;
  const job = await deps.publishQueue.getJob(event.buildId);
  if (!job) return 'skipped';
  const data = PublishJob.safeParse(job.data);
  if (!data.success || !data.data.push || !data.data.image) return 'skipped';
  const image = data.data.image;
  const platform = result.platform;
  if (!data.data.platforms.includes(platform)) return 'skipped';
  if (!OPEN.has(await job.getState())) return 'skipped';
  let name;
  try {
    name = parseImageName(image);
  } catch {
    return 'skipped'; // the publish job reports the bad name
  }

  const seen = await state.read(event.buildId, platform);
  if (seen && sameArchive(seen, image, result)) return 'skipped'; // pushed, or tried once already
  const lock = await state.tryLock(event.buildId, platform);
  if (!lock) return 'skipped'; // the publish job or another replica is on it
  try {
    const record = await state.read(event.buildId, platform);
    if (record && sameArchive(record, image, result)) return 'skipped';
    const phase = `push ${platform}`;
    const attempt = job.attemptsMade + 1;
    const emit = (e: { type: 'phase.started'; kind: 'push' } | { type: 'phase.ended' }) =>
      publishEvent(deps.redis, deps.prefix, { ...e, buildId: event.buildId, taskId: null, attempt, name: phase, at: nowIso() } as BuildEvent);
    await emit({ type: 'phase.started', kind: 'push' });
    try {
      const client = await deps.registries.client(name.registry, name.repository);
      const pushed = await pushPlatform({
        store: deps.store,
        client,
        repository: name.repository,
        result,
        signal,
        blobConcurrency: deps.blobConcurrency,
        job: data.data,
      });
      await state.write(event.buildId, platform, { state: 'pushed', pushed, ...recordKey(image, result) });
      deps.log(`merger: build ${event.buildId} ${platform} pushed early as ${pushed.digest}`);
      return 'pushed';
    } catch (err) {
      const reason = (err as Error).message;
      await state.write(event.buildId, platform, { state: 'failed', reason, ...recordKey(image, result) }).catch(() => {});
      deps.log(`merger: build ${event.buildId} ${platform} early push failed (the publish job will push it): ${reason}`);
      return 'failed';
    } finally {
      await emit({ type: 'phase.ended' }).catch(() => {});
    }
  } finally {
    await lock.release().catch(() => {});
  }
}
