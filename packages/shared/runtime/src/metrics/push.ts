import type { Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import { redisKeys } from '@archway/contract';
import type { MetricFamilyJson } from './exposition.ts';

/** Processes that only make outbound connections push their metrics; the API exposes them with a `<role>` label. */
export type PushRole = 'agent' | 'merger';
export const PUSH_ROLES: readonly PushRole[] = ['agent', 'merger'];

/** What a process writes under `redisKeys(prefix).pushedMetrics(role, id)`. */
export interface PushedMetrics {
  at: string;
  families: MetricFamilyJson[];
}

export interface MetricsPusherOptions {
  redis: Redis;
  prefix: string;
  role: PushRole;
  id: string;
  registry: Registry;
  intervalMs: number;
  onError?: (err: Error) => void;
}

/**
 * Writes the registry's state to Redis every `intervalMs`, under a key that expires after three
 * missed pushes: an agent that dies takes its series with it (the API drops ids whose key is gone),
 * and one that stops cleanly deletes its key at once. Counters restart from zero with the process,
 * which Prometheus' rate() reads as a reset, as it would for a scraped target.
 */
export class MetricsPusher {
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(private readonly o: MetricsPusherOptions) {}

  private get ttlSeconds(): number {
    return Math.max(15, Math.ceil((3 * this.o.intervalMs) / 1000));
  }

  push(): Promise<void> {
    const run = this.chain.then(async () => {
      if (this.stopped) return;
      const all = (await this.o.registry.getMetricsAsJSON()) as unknown as MetricFamilyJson[];
      const families = all.filter((f) => f.values.length > 0);
      const body: PushedMetrics = { at: new Date().toISOString(), families };
      const keys = redisKeys(this.o.prefix);
      await this.o.redis
        .multi()
        .set(keys.pushedMetrics(this.o.role, this.o.id), JSON.stringify(body), 'EX', this.ttlSeconds)
        .sadd(keys.pushedMetricsIndex(this.o.role), this.o.id)
        .exec();
    });
    this.chain = run.catch(() => {});
    return run;
  }

  /** Pushes now and then every interval; the first failure of an outage goes to onError (the next push tries again). */
  start(): void {
    if (this.o.intervalMs <= 0) return;
    let failing = false;
    const tick = () =>
      void this.push().then(
        () => void (failing = false),
        (err: Error) => {
          if (!failing) this.o.onError?.(err);
          failing = true;
        },
      );
    tick();
    this.timer = setInterval(tick, this.o.intervalMs);
    this.timer.unref();
  }

  /** Stops pushing and removes this process's series (after any push in flight, which would recreate them). */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.stopped = true;
    await this.chain;
    const keys = redisKeys(this.o.prefix);
    await this.o.redis.multi().del(keys.pushedMetrics(this.o.role, this.o.id)).srem(keys.pushedMetricsIndex(this.o.role), this.o.id).exec();
  }
}
