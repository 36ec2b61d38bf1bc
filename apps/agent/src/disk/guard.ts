import { join } from 'node:path';
import { platformSlug } from '@archway/contract';
import type { CacheSize } from '../cache-size.ts';
import type { AgentConfig } from '../env.ts';
import type { Logger } from '../log.ts';
import { removeAllContainers, storageDirs, type BuildahSettings } from '../task/buildah.ts';
import { formatBytes, resolveSize } from '@archway/contract';
import { collectGarbage, type GcReport } from './gc.ts';
import { diskSpace } from './space.ts';
import { imagesUnder, readStorageIndex } from './storage-index.ts';
import { CacheUsage } from './usage.ts';

export type SpaceCheck = { ok: true; freeBytes: number } | { ok: false; reason: string };

/** How often a running task's free space is checked against the stop watermark. */
export const WATCH_INTERVAL_MS = 1000;

/**
 * The agent's disk: GC of the layer cache (periodic while idle, and before each task), the free
 * space a task needs before it starts, and the watermark that stops a running task before the
 * filesystem is full. GC passes never overlap and never run beside a build: a build could be
 * about to reuse what GC removes.
 */
export class DiskGuard {
  readonly usage: CacheUsage;
  private chain: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  /** Set while the agent gives work back for lack of space; shown in the heartbeat. */
  problem: string | null = null;
  /** A build was stopped while another ran: its working container waits for the agent to be idle. */
  containersLeft = false;
  /** Told of every finished GC pass (metrics). */
  onGc: ((report: GcReport) => void) | undefined;

  constructor(
    private readonly config: AgentConfig,
    private readonly settings: BuildahSettings,
    private readonly cache: CacheSize,
    private readonly log: Logger,
    /** Tasks running on this agent right now. */
    private readonly running: () => number,
  ) {
    this.usage = new CacheUsage(join(config.dataDir, 'state', `${platformSlug(config.platform)}-cache-usage.json`));
  }

  /** One GC pass, after any pass in flight. */
  gc(trigger: string, needFreeBytes?: number): Promise<GcReport> {
    const run = this.chain
      .then(() =>
        collectGarbage({
          settings: this.settings,
          policy: this.config.gc,
          usage: this.usage,
          cacheBytes: this.cache.bytes,
          measureCache: async () => {
            await this.cache.refresh();
            return this.cache.bytes;
          },
          log: this.log,
          trigger,
          ...(needFreeBytes === undefined ? {} : { needFreeBytes }),
        }),
      )
      .then((report) => {
        this.onGc?.(report);
        return report;
      });
    this.chain = run.catch(() => {});
    return run;
  }

  /** Periodic GC while no task runs. */
  start(): void {
    if (this.config.gc.intervalMs <= 0) return;
    this.timer = setInterval(() => {
      if (this.running() > 0) return;
      this.gc('periodic').catch((err: Error) => this.log('gc.failed', { error: err.message }, 'warn'));
    }, this.config.gc.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.chain;
  }

  async needFreeBytes(): Promise<number> {
    const { total } = await diskSpace(this.config.dataDir);
    return resolveSize(this.config.minFreeSpace, total);
  }

  async stopBelowBytes(): Promise<number> {
    const { total } = await diskSpace(this.config.dataDir);
    return resolveSize(this.config.stopFreeSpace, total);
  }

  /**
   * Before a task: GC (when no other task uses the storage), then the free-space check. Short
   * space is reported as a reason naming the agent, so the dashboard says where and why.
   */
  async beforeTask(alone: boolean): Promise<SpaceCheck> {
    const need = await this.needFreeBytes();
    let freed = 0;
    await this.chain; // never build while a GC pass (periodic, or another task's) is removing images
    if (alone) {
      try {
        freed = (await this.gc('before-task', need)).freedBytes;
      } catch (err) {
        this.log('gc.failed', { error: (err as Error).message }, 'warn');
      }
    }
    const { free } = await diskSpace(this.config.dataDir);
    if (free >= need) {
      this.problem = null;
      return { ok: true, freeBytes: free };
    }
    const gcNote = alone ? `GC freed ${formatBytes(freed)} and nothing more can go` : 'another build is running, so GC waits';
    return {
      ok: false,
      reason: `out of disk on ${this.config.agentId}: ${formatBytes(free)} free on ${this.config.dataDir}, a build needs ${formatBytes(need)} (ARCHWAY_AGENT_MIN_FREE_SPACE); ${gcNote}`,
    };
  }

  /**
   * Calls `onLow` once when free space falls below the stop watermark while a task runs. Returns
   * the function that stops watching.
   */
  watch(onLow: (freeBytes: number, limitBytes: number) => void): () => void {
    let done = false;
    let busy = false;
    const timer = setInterval(() => {
      if (done || busy) return;
      busy = true;
      Promise.all([diskSpace(this.config.dataDir), this.stopBelowBytes()])
        .then(([{ free }, limit]) => {
          if (!done && free < limit) {
            done = true;
            onLow(free, limit);
          }
        })
        .catch(() => {})
        .finally(() => {
          busy = false;
        });
    }, WATCH_INTERVAL_MS);
    timer.unref();
    return () => {
      done = true;
      clearInterval(timer);
    };
  }

  /** Removes working containers (and their mounts) once no build runs; serialised with GC. */
  cleanContainers(): Promise<void> {
    this.containersLeft = false;
    const run = this.chain.then(() => (this.running() === 0 ? removeAllContainers(this.settings) : void (this.containersLeft = true)));
    this.chain = run.catch((err: Error) => this.log('storage.cleanup-failed', { error: err.message }, 'warn'));
    return this.chain as Promise<void>;
  }

  /** Marks the built image, its cached steps and its base image as just used (LRU). */
  async touchBuilt(imageId: string): Promise<void> {
    const index = await readStorageIndex(storageDirs(this.settings).root);
    await this.usage.touch(imagesUnder(index, imageId));
  }
}
