import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import type { AgentInfo, Platform } from '@archway/contract';
import { redisKeys } from '@archway/contract';
import { diskSpace } from './disk/space.ts';

export const HEARTBEAT_INTERVAL_MS = 5000;
export const HEARTBEAT_TTL_SECONDS = 15;

export interface HeartbeatSource {
  id: string;
  platform: Platform;
  version: string;
  concurrency: number;
  dataDir: string;
  state(): AgentInfo['state'];
  currentTasks(): string[];
  cacheBytes(): number | null;
  /** Why the agent takes no work right now (out of disk), or null. */
  problem(): string | null;
}

/** Free bytes for unprivileged writers on the filesystem holding `dir`; null when unknown. */
export async function freeDiskBytes(dir: string): Promise<number | null> {
  try {
    return (await diskSpace(dir)).free;
  } catch {
    return null;
  }
}

export async function agentInfo(src: HeartbeatSource): Promise<AgentInfo> {
  return {
    id: src.id,
    platform: src.platform,
    hostname: hostname(),
    version: src.version,
    state: src.state(),
    currentTasks: src.currentTasks(),
    concurrency: src.concurrency,
    freeDiskBytes: await freeDiskBytes(src.dataDir),
    cacheBytes: src.cacheBytes(),
    at: new Date().toISOString(),
    problem: src.problem(),
  };
}

/**
 * Publishes the agent's AgentInfo under `redisKeys(p).agent(id)` with a TTL, refreshed on an
 * interval: a dead agent disappears from the dashboard when its key expires.
 */
export class Heartbeat {
  private timer: NodeJS.Timeout | undefined;
  private failing = false;
  private stopped = false;
  /** Beats run one after another, so an older state never overwrites a newer one. */
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly src: HeartbeatSource,
    private readonly onError: (err: Error, recovered: boolean) => void,
  ) {}

  beat(): Promise<void> {
    const run = this.chain.then(async () => {
      if (this.stopped) return;
      const info = await agentInfo(this.src);
      await this.redis.set(redisKeys(this.prefix).agent(this.src.id), JSON.stringify(info), 'EX', HEARTBEAT_TTL_SECONDS);
    });
    this.chain = run.catch(() => {});
    return run;
  }

  /** Starts beating; resolves after the first beat (failures are reported through onError). */
  start(intervalMs = HEARTBEAT_INTERVAL_MS): Promise<void> {
    const tick = () =>
      this.beat().then(
        () => {
          if (this.failing) this.onError(new Error('heartbeat recovered'), true);
          this.failing = false;
        },
        (err: Error) => {
          // Report once per outage, not every 5 s.
          if (!this.failing) this.onError(err, false);
          this.failing = true;
        },
      );
    this.timer = setInterval(tick, intervalMs);
    this.timer.unref();
    return tick();
  }

  /** Stops beating and deletes the key (after any beat in flight, which would recreate it). */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.stopped = true;
    await this.chain;
    await this.redis.del(redisKeys(this.prefix).agent(this.src.id));
  }
}
