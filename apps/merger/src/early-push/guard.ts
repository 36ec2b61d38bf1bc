import type { BuildResult } from '@archway/contract';
import type { PlatformImage } from '../push-platform.ts';
import { recordKey, sameArchive, type EarlyPushState } from './state.ts';

/** How a platform's push is run by the publish job. */
export interface PlatformGuard {
  /**
   * Returns the platform's image when it was pushed already (early), else runs `push` while
   * holding the platform's lock. `push(again)`: `again` when an early push of it failed.
   */
  run(result: BuildResult, push: (again: boolean) => Promise<PlatformImage>, signal: AbortSignal): Promise<PlatformImage>;
}

/**
 * The publish job's side of pipelining: reuse what an early push left, wait for an early push
 * still in flight instead of doing the same work twice, and record its own pushes so that a late
 * early push finds them and stops.
 */
export function platformGuard(state: EarlyPushState, buildId: string, image: string): PlatformGuard {
  return {
    async run(result, push, signal) {
      for (;;) {
        signal.throwIfAborted();
        const seen = await state.read(buildId, result.platform);
        if (seen?.state === 'pushed' && sameArchive(seen, image, result)) return seen.pushed;
        const lock = await state.tryLock(buildId, result.platform);
        if (!lock) {
          await state.waitUnlocked(buildId, result.platform, signal);
          continue;
        }
        try {
          // The holder we waited for may have just finished.
          const record = await state.read(buildId, result.platform);
          if (record?.state === 'pushed' && sameArchive(record, image, result)) return record.pushed;
          const again = record?.state === 'failed' && sameArchive(record, image, result);
          const pushed = await push(again);
          await state.write(buildId, result.platform, { state: 'pushed', pushed, ...recordKey(image, result) });
          return pushed;
        } finally {
          await lock.release().catch(() => {});
        }
      }
    },
  };
}
