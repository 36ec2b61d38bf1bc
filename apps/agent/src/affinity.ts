import { createHash } from 'node:crypto';
import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { AgentInfo } from '@archway/contract';
import { redisKeys } from '@archway/contract';

/** Affinity records outlive any sensible cache: a month. */
const RECORD_TTL_SECONDS = 30 * 24 * 3600;
/** A deferred job comes back after this long… */
export const DEFER_MS = 200;
/** …while the deferring agent holds back this long, so the preferred agent gets to it first. */
export const HOLD_MS = 500;

/** The repository identity for affinity: its URL without credentials, `.git` or a trailing slash. */
export function repoHash(url: string): string {
  const clean = url
    .trim()
    .replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/]+@/i, '$1')
    .replace(/\/+$/, '')
    .replace(/\.git$/, '')
    .toLowerCase();
  return createHash('sha256').update(clean).digest('hex').slice(0, 32);
}

/**
 * Warm-cache affinity: a build of a repository prefers the agent of its platform that built it
 * last. Agents share one queue, so the preference is expressed by the others: an agent that takes
 * a job preferring another live agent puts it back briefly (delayed, no attempt used), for at
 * most `waitMs` after the job was queued. After that anyone builds it: affinity never delays a job
 * longer than `waitMs`, and not at all when the preferred agent is gone, draining or out of disk.
 */
export class Affinity {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly queue: string,
    private readonly agentId: string,
    private readonly waitMs: number,
  ) {}

  private key(url: string): string {
    return redisKeys(this.prefix).affinity(this.queue, repoHash(url));
  }

  /** The agent this job should wait for, or undefined to build it here. */
  async deferTo(job: Job, url: string, now = Date.now()): Promise<string | undefined> {
    if (this.waitMs <= 0 || job.attemptsMade > 0 || (job.stalledCounter ?? 0) > 0) return undefined;
    if (now - job.timestamp >= this.waitMs) return undefined;
    const preferred = await this.redis.get(this.key(url));
    if (!preferred || preferred === this.agentId) return undefined;
    const raw = await this.redis.get(redisKeys(this.prefix).agent(preferred));
    if (!raw) return undefined;
    const info = AgentInfo.safeParse(JSON.parse(raw));
    if (!info.success || info.data.state === 'draining' || info.data.problem) return undefined;
    return preferred;
  }

  async record(url: string): Promise<void> {
    await this.redis.set(this.key(url), this.agentId, 'EX', RECORD_TTL_SECONDS);
  }
}
