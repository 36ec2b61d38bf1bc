import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { redisKeys } from '@archway/contract';
import { triggerRef, type RepoTrigger } from '../repos/index.ts';

export const DEFAULT_HOOK_REPLAY_WINDOW_MS = 60 * 60_000;

const RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0";

/** What makes two deliveries the same event: the forge, the event, the ref, the commit (and, for a push, the commit before). */
export interface EventContent {
  source: string;
  event: string;
  trigger: RepoTrigger;
  /** A push's `before`: pushing a branch back to an earlier commit (A → B → A) is a new event. */
  before?: string | undefined;
}

/**
 * Refuses a replayed event: a delivery with a new id but the content of one this repository
 * already acted on within the window (a signed body captured once can be sent again at will; the
 * forge's delivery id is not covered by the signature). The first delivery claims the content in
 * Redis with SET NX, so two replays racing each other cannot both pass.
 */
export class ReplayGuard {
  private readonly keys;
  constructor(
    private readonly redis: Redis,
    prefix: string,
    readonly windowMs: number = DEFAULT_HOOK_REPLAY_WINDOW_MS,
  ) {
    this.keys = redisKeys(prefix);
  }

  private key(repoId: string, c: EventContent): string {
    const digest = createHash('sha256')
      .update(JSON.stringify([c.source, c.event, triggerRef(c.trigger), c.trigger.commit, c.before ?? '']))
      .digest('hex');
    return this.keys.hookEvent(repoId, digest);
  }

  /** null: this delivery is the first with this content (and now holds it); else the delivery id that was. */
  async claim(repoId: string, c: EventContent, deliveryId: string): Promise<string | null> {
    if (this.windowMs <= 0) return null;
    const key = this.key(repoId, c);
    if (await this.redis.set(key, deliveryId, 'PX', this.windowMs, 'NX')) return null;
    const holder = await this.redis.get(key);
    return holder === null || holder === deliveryId ? null : holder;
  }

  /** Gives the content back when nothing was queued for it, so a repeat may try again. */
  async release(repoId: string, c: EventContent, deliveryId: string): Promise<void> {
    if (this.windowMs <= 0) return;
    await this.redis.eval(RELEASE, 1, this.key(repoId, c), deliveryId);
  }
}
