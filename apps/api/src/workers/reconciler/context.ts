import { OPEN_BUILD_STATUSES, OPEN_TASK_STATUSES, QUEUED_BUILD_STATUSES } from '@archway/contract';
import { dbStatuses } from '../../infra/build-status.ts';
import type { AgentInfo } from '@archway/contract';
import type { Redis } from 'ioredis';
import type { PrismaClient } from '../../infra/db.ts';
import type { Queues } from '../../infra/queue/queues.ts';
import type { SecretBox } from '../../infra/secrets/secret-box.ts';
import type { ReconcilePolicy } from './policy.ts';
import type { ApiMetrics } from '../../metrics/api-metrics.ts';

export interface ReconcileLog {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface ReconcileDeps {
  prisma: PrismaClient;
  /** The API's client (fail-fast): a sweep during a Redis outage fails and the next one retries. */
  redis: Redis;
  queues: Queues;
  prefix: string;
  policy: ReconcilePolicy;
  log: ReconcileLog;
  /** What createBuild needs to queue a flow again: the repository's secrets and the attempts. */
  secretBox?: SecretBox;
  agentSecretKey?: Buffer;
  buildAttempts?: number;
  /** ARCHWAY_LAYER_CACHE, so a flow queued again keeps the repository's shared cache. */
  layerCache?: boolean;
  /** The provenance's builder id of flows queued again. */
  publicUrl?: string;
  /** Counts the failures the reconciler declares itself. */
  metrics?: ApiMetrics;
}

/** What every step of one sweep shares. */
export interface Sweep extends ReconcileDeps {
  now: number;
  live: AgentInfo[];
  /** Tasks found (again) with a lost agent this sweep; the others leave `lostSince`. */
  suspects: Set<string>;
  counts: SweepCounts;
}

export interface SweepCounts {
  requeuedFlows: number;
  /** Builds left `resolving` without a resolve job, queued for the resolver again. */
  requeuedResolves: number;
  requeuedPublishes: number;
  lostBuilds: number;
  agentLost: number;
  timedOut: number;
  queueWait: number;
  closedTasks: number;
  forgottenAgents: number;
}

/** The contract's open sets, as the mutable arrays Prisma's filters take. */
export const OPEN_BUILD = dbStatuses(OPEN_BUILD_STATUSES);
/**
 * What the sweep checks against Redis: resolving builds (their resolve job) and queued ones (their
 * flow), never a build waiting for approval (it has no jobs on purpose).
 */
export const SWEPT_BUILD = dbStatuses(['resolving', ...QUEUED_BUILD_STATUSES]);
export const OPEN_TASK = [...OPEN_TASK_STATUSES];
