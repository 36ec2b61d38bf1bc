import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { BuildResult, Platform } from '@archway/contract';
import { redisKeys } from '@archway/contract';
import type { Redis } from 'ioredis';
import type { PlatformImage } from '../push-platform.ts';

/**
 * What is known about one platform of a build, shared by every merger replica through Redis:
 * pushed (its manifest is in the registry by digest) or an early push that failed. Both name the
 * exact archive, so a retried task with a different archive never reuses an old push.
 */
export type PlatformRecord = ({ state: 'pushed'; pushed: PlatformImage } & RecordKey) | ({ state: 'failed'; reason: string } & RecordKey);

interface RecordKey {
  /** The PublishJob's image (`registry/repository`) it was pushed to. */
  image: string;
  taskId: string;
  archiveDigest: string;
  manifestDigest: string;
}

export interface PlatformLock {
  release(): Promise<void>;
}

export interface EarlyPushStateOptions {
  /** A lock not renewed for this long is free again (its holder died). Default 30 s. */
  lockTtlMs?: number;
  /** How often a waiter looks whether a lock was released. Default 25 ms. */
  pollMs?: number;
  /** Records live this long after their last write. Default 2 days. */
  recordTtlSeconds?: number;
}

const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;
const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;

export function recordKey(image: string, result: BuildResult): RecordKey {
  return { image, taskId: result.taskId, archiveDigest: result.archiveDigest, manifestDigest: result.manifestDigest };
}

/** Whether a record is about this very archive going to this very image. */
export function sameArchive(record: RecordKey, image: string, result: BuildResult): boolean {
  const key = recordKey(image, result);
  return (
    record.image === key.image && record.taskId === key.taskId && record.archiveDigest === key.archiveDigest && record.manifestDigest === key.manifestDigest
  );
}

/**
 * Per build and platform: a record in a Redis hash and a lock, so that the early pusher and the
 * publish job (possibly on different replicas) never push the same platform at the same time.
 */
export class EarlyPushState {
  private readonly keys: ReturnType<typeof redisKeys>;
  private readonly lockTtlMs: number;
  private readonly pollMs: number;
  private readonly recordTtl: number;

  constructor(
    private readonly redis: Redis,
    prefix: string,
    opts: EarlyPushStateOptions = {},
  ) {
    this.keys = redisKeys(prefix);
    this.lockTtlMs = opts.lockTtlMs ?? 30_000;
    this.pollMs = opts.pollMs ?? 25;
    this.recordTtl = opts.recordTtlSeconds ?? 2 * 24 * 3600;
  }

  async read(buildId: string, platform: Platform): Promise<PlatformRecord | null> {
    const raw = await this.redis.hget(this.keys.earlyPushes(buildId), platform);
    if (!raw) return null;
    try {
      return JSON.parse(raw) as PlatformRecord;
    } catch {
      return null;
    }
  }

  async write(buildId: string, platform: Platform, record: PlatformRecord): Promise<void> {
    const key = this.keys.earlyPushes(buildId);
    await this.redis.multi().hset(key, platform, JSON.stringify(record)).expire(key, this.recordTtl).exec();
  }

  /** Forgets a build once it is published. */
  async forget(buildId: string): Promise<void> {
    await this.redis.del(this.keys.earlyPushes(buildId));
  }

  /** Takes the platform's lock, or null when someone holds it. Renewed until released. */
  async tryLock(buildId: string, platform: Platform): Promise<PlatformLock | null> {
    const key = this.lockKey(buildId, platform);
    const token = randomUUID();
    const ok = await this.redis.set(key, token, 'PX', this.lockTtlMs, 'NX');
    if (ok !== 'OK') return null;
    const renew = setInterval(
      () => {
        this.redis.eval(RENEW, 1, key, token, String(this.lockTtlMs)).catch(() => {});
      },
      Math.max(50, Math.floor(this.lockTtlMs / 3)),
    );
    renew.unref();
    let released = false;
    return {
      release: async () => {
        if (released) return;
        released = true;
        clearInterval(renew);
        await this.redis.eval(RELEASE, 1, key, token);
      },
    };
  }

  /** Resolves once nobody holds the platform's lock (released, or expired with a dead holder). */
  async waitUnlocked(buildId: string, platform: Platform, signal?: AbortSignal): Promise<void> {
    const key = this.lockKey(buildId, platform);
    while ((await this.redis.exists(key)) === 1) {
      signal?.throwIfAborted();
      await delay(this.pollMs, undefined, { signal });
    }
  }

  private lockKey(buildId: string, platform: Platform): string {
    return this.keys.lock(`early-push:${buildId}:${platform}`);
  }
}
