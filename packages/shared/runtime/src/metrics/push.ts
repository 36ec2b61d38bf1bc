import type { Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import { redisKeys } from '@archway/contract';

/** Processes that only make outbound connections push their metrics; the API exposes them with a `<role>` label. */
export type PushRole = 'agent' | 'merger';
export const PUSH_ROLES: readonly PushRole[] = ['agent', 'merger'];

/** What a process writes under `redisKeys(prefix).pushedMetrics(role, id)`: its exposition, as a scrape would read it. */
export interface PushedMetrics {
  at: string;
  text: string;
}

export interface MetricsPusherOptions {
  redis: Redis;
  prefix: string;
  role: PushRole;
  id: string;
  registry: Registry;
  intervalMs: number;
  /** Which families to push (default all): the API carries every agent's, so bulky ones stay on the metrics port. */
  include?: (name: string) => boolean;
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
      const include = this.o.include;
      const names = this.o.registry.getMetricsAsArray().map((m) => (m as unknown as { name: string }).name);
      const parts = await Promise.all(names.filter((n) => !include || include(n)).map((n) => this.o.registry.getSingleMetricAsString(n)));
      const body: PushedMetrics = { at: new Date().toISOString(), text: parts.join('\n') };
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
