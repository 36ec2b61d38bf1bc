import type { Redis } from 'ioredis';
import type { PrismaClient } from '../../infra/db.ts';
import type { Queues } from '../../infra/queue/queues.ts';
import type { FleetConfig } from './config.ts';
import type { Kube } from './kube.ts';

export interface FleetLog {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface FleetDeps {
  prisma: PrismaClient;
  redis: Redis;
  queues: Queues;
  prefix: string;
  config: FleetConfig;
  log: FleetLog;
  /** Undefined: the cluster integration is off, for `offReason`. */
  kube: Kube | undefined;
  offReason?: string;
}
