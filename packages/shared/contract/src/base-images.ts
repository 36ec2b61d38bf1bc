import { z } from 'zod';

/** `GET /api/v1/base-images`: what the base-image watcher polls and what it last saw. */
export const WatchedBaseImage = z.object({
  /** `registry/repository:tag` */
  reference: z.string(),
  /** The digest the tag pointed at when last polled; null before the first successful poll. */
  digest: z.string().nullable(),
  checkedAt: z.string().nullable(),
  /** When the watcher last saw the digest change. */
  changedAt: z.string().nullable(),
  nextCheckAt: z.string(),
  /** Failed polls in a row and the last failure's reason (backoff grows with them). */
  failures: z.number().int(),
  error: z.string().nullable(),
});
export type WatchedBaseImage = z.infer<typeof WatchedBaseImage>;

export const WatchedBaseImageList = z.object({ items: z.array(WatchedBaseImage) });
export type WatchedBaseImageList = z.infer<typeof WatchedBaseImageList>;
