import type { Redis } from 'ioredis';
import type { Build } from '@archway/contract';
import { redisKeys } from '@archway/contract';
import type { PrismaClient } from '../../infra/db.ts';
import { BUILD_INCLUDE, toBuild } from '../builds/index.ts';
import { dedicatedConnection } from '../../infra/queue/redis.ts';

type Listener = (build: Build) => void;

/**
 * Fans `buildChanged` notifications out to every dashboard connection: one Redis subscriber and one
 * database read per change, however many browsers listen.
 */
export class BuildChangeHub {
  private listeners = new Set<Listener>();
  private subscriber: Promise<Redis> | undefined;
  private closed = false;
  /**
   * Per build: the read in flight, and whether another change arrived meanwhile. Reads of one
   * build never overlap, so a slow read of an older state cannot reach clients after a newer one
   * (which left dashboards showing `publishing` for a build that had succeeded).
   */
  private reads = new Map<string, { dirty: boolean }>();

  constructor(private readonly deps: { prisma: PrismaClient; redis: Redis; prefix: string; onError?: (err: unknown) => void }) {}

  /** Resolves once subscribed, so no change after it is missed. Returns the unsubscribe function. */
  async subscribe(listener: Listener): Promise<() => void> {
    await this.connect();
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private connect(): Promise<Redis> {
    if (this.closed) return Promise.reject(new Error('closed'));
    this.subscriber ??= (async () => {
      const sub = await dedicatedConnection(this.deps.redis, 'archway-api-events');
      sub.on('message', (_channel: string, buildId: string) => this.changed(buildId));
      await sub.subscribe(redisKeys(this.deps.prefix).buildChanged);
      return sub;
    })().catch((err) => {
      this.subscriber = undefined; // let the next client try again
      throw err;
    });
    return this.subscriber;
  }

  private changed(buildId: string): void {
    const inFlight = this.reads.get(buildId);
    if (inFlight) {
      inFlight.dirty = true; // coalesce: one more read after the current one
      return;
    }
    const state = { dirty: false };
    this.reads.set(buildId, state);
    void (async () => {
      do {
        state.dirty = false;
        await this.publish(buildId);
      } while (state.dirty && !this.closed);
      this.reads.delete(buildId);
    })();
  }

  private async publish(buildId: string): Promise<void> {
    if (this.listeners.size === 0) return;
    try {
      const row = await this.deps.prisma.build.findUnique({ where: { id: buildId }, include: BUILD_INCLUDE });
      if (!row) return;
      const build = toBuild(row);
      for (const l of this.listeners) l(build);
    } catch (err) {
      this.deps.onError?.(err);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.listeners.clear();
    const sub = await this.subscriber?.catch(() => undefined);
    sub?.disconnect();
  }
}
