import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { redisKeys } from '@archway/contract';
import { ENTRY_POINTS, supervise, type Supervised } from '../../apps/launcher/src/children.ts';
import type { KubeStandIn } from './kube-stand-in.ts';

/** One agent process standing for one pod of a pool. */
export interface PodRecord {
  pool: string;
  id: string;
  /** When the stand-in's replicas asked for it, when its process was spawned, when its first heartbeat arrived. */
  askedAt: number;
  spawnedAt: number;
  readyAt?: number;
  stoppedAt?: number;
}

/**
 * The test's StatefulSet controller: watches the stand-in's replica counts and runs one real agent
 * process per replica (id `<pool>-<ordinal>`, a data dir per ordinal as a volume claim would be),
 * adding the highest ordinal on scale-up and stopping it (SIGTERM: the agent drains) on
 * scale-down, as the StatefulSet controller does; reports running/ready replicas back.
 */
export class PoolController {
  readonly pods: PodRecord[] = [];
  private readonly running = new Map<string, Array<{ proc: Supervised; rec: PodRecord }>>();
  private readonly queue = new Map<string, Promise<void>>();
  private readonly onScaled = (name: string) => this.reconcile(name);

  constructor(
    private readonly standIn: KubeStandIn,
    private readonly pools: Record<string, string>,
    private readonly opts: { root: string; env: NodeJS.ProcessEnv; redis: Redis; prefix: string; log: (line: string) => void },
  ) {
    standIn.on('scaled', this.onScaled);
  }

  /** Running agent processes of a pool. */
  count(pool: string): number {
    return this.running.get(pool)?.length ?? 0;
  }

  /** Serialised per pool: a scale event during a slow stop waits for it. */
  private reconcile(pool: string): void {
    const next = (this.queue.get(pool) ?? Promise.resolve()).then(() => this.converge(pool));
    this.queue.set(pool, next);
  }

  private async converge(pool: string): Promise<void> {
    const platform = this.pools[pool];
    if (!platform) return;
    const list = this.running.get(pool) ?? [];
    this.running.set(pool, list);
    const askedAt = Date.now();
    while (list.length < (this.standIn.replicas(pool) ?? 0)) {
      const id = `${pool}-${list.length}`;
      const rec: PodRecord = { pool, id, askedAt, spawnedAt: Date.now() };
      const env = { ...this.opts.env, ARCHWAY_AGENT_PLATFORM: platform, ARCHWAY_AGENT_ID: id, ARCHWAY_AGENT_DATA_DIR: join(this.opts.root, id) };
      list.push({ proc: supervise(id, ENTRY_POINTS.agent, env, this.opts.log), rec });
      this.pods.push(rec);
      void this.watchReady(rec);
    }
    while (list.length > (this.standIn.replicas(pool) ?? 0)) {
      const last = list.at(-1)!;
      await last.proc.stop();
      last.rec.stoppedAt = Date.now();
      list.pop();
    }
    this.standIn.setStatus(pool, list.length, list.filter((p) => p.rec.readyAt).length);
  }

  private async watchReady(rec: PodRecord): Promise<void> {
    const key = redisKeys(this.opts.prefix).agent(rec.id);
    // A beat of this process, not one a previous process of the same ordinal left behind.
    const fresh = async () => {
      const beat = await this.opts.redis.get(key);
      return beat !== null && Date.parse((JSON.parse(beat) as { at: string }).at) >= rec.spawnedAt;
    };
    while (!rec.stoppedAt && !(await fresh())) await new Promise((r) => setTimeout(r, 25));
    if (rec.stoppedAt) return;
    rec.readyAt = Date.now();
    const list = this.running.get(rec.pool) ?? [];
    this.standIn.setStatus(rec.pool, list.length, list.filter((p) => p.rec.readyAt).length);
  }

  async stop(): Promise<void> {
    this.standIn.off('scaled', this.onScaled);
    await Promise.allSettled([...this.queue.values()]);
    await Promise.allSettled([...this.running.values()].flat().map((p) => p.proc.stop()));
  }
}
