import { Queue, UnrecoverableError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { redisKeys, type NotificationEvent } from '@archway/contract';
import type { PrismaClient } from '../../infra/db.ts';
import { prismaCode } from '../../infra/db.ts';
import type { SecretBox } from '../../infra/secrets/secret-box.ts';
import { deliver, DeliveryError } from './deliver.ts';

export const NOTIFY_QUEUE = 'notifications';

export interface NotifyRetry {
  attempts: number;
  backoffMs: number;
}
/** Six attempts, 5 s doubling: a receiver may be down for about five minutes. */
export const DEFAULT_NOTIFY_RETRY: NotifyRetry = { attempts: 6, backoffMs: 5000 };

export interface NotifierDeps {
  prisma: PrismaClient;
  redis: Redis;
  prefix: string;
  publicUrl: string;
  secretBox: SecretBox;
  allowLocalSources?: boolean;
  retry?: NotifyRetry;
  log?: { warn(obj: object, msg?: string): void; info(obj: object, msg?: string): void };
}

export interface Notifier {
  /** Queues the deliveries a build's current state calls for (once each). */
  sync(buildId: string): Promise<void>;
  close(): Promise<void>;
}

/** The events a finished build emits. */
export function eventsOf(build: { status: string; push: boolean; indexDigest: string | null }): NotificationEvent[] {
  if (build.status === 'succeeded') return build.push && build.indexDigest ? ['build.succeeded', 'image.published'] : ['build.succeeded'];
  if (build.status === 'failed') return ['build.failed'];
  if (build.status === 'canceled') return ['build.canceled'];
  return [];
}

/**
 * Outgoing webhooks: when a repository's build ends (the recorder's `buildChanged`), one delivery
 * row per subscribed notification and event (unique: a change seen twice queues once) and one
 * BullMQ job per delivery, retried with exponential backoff.
 */
export async function startNotifier(deps: NotifierDeps): Promise<Notifier> {
  const retry = deps.retry ?? DEFAULT_NOTIFY_RETRY;
  const connection = deps.redis.duplicate({ maxRetriesPerRequest: null, enableOfflineQueue: true, connectionName: 'archway-notifications' });
  connection.on('error', () => {});
  const queue = new Queue(NOTIFY_QUEUE, { connection, prefix: deps.prefix });
  queue.on('error', () => {});
  const deliverDeps = { prisma: deps.prisma, secretBox: deps.secretBox, publicUrl: deps.publicUrl, allowLocal: deps.allowLocalSources ?? false };
  const worker = new Worker<{ deliveryId: string }>(
    NOTIFY_QUEUE,
    async (job) => {
      const last = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      try {
        return await deliver(deliverDeps, job.data.deliveryId, last);
      } catch (err) {
        deps.log?.warn({ deliveryId: job.data.deliveryId, attempt: job.attemptsMade + 1, err: (err as Error).message }, 'notification not delivered');
        if (err instanceof DeliveryError && err.permanent) throw new UnrecoverableError(err.message);
        throw err;
      }
    },
    { connection, prefix: deps.prefix, concurrency: 4 },
  );
  worker.on('error', (err) => deps.log?.warn({ err: err.message }, 'notifications worker error'));
  const sub = deps.redis.duplicate({ maxRetriesPerRequest: null, enableOfflineQueue: true, connectionName: 'archway-notifications-sub' });
  sub.on('error', () => {});
  sub.on('message', (_channel: string, buildId: string) => {
    void sync(buildId).catch((err) => deps.log?.warn({ buildId, err: (err as Error).message }, 'notifications not queued'));
  });
  await sub.subscribe(redisKeys(deps.prefix).buildChanged);

  async function sync(buildId: string): Promise<void> {
    const build = await deps.prisma.build.findUnique({ where: { id: buildId }, select: { status: true, push: true, indexDigest: true, repoId: true } });
    if (!build?.repoId) return;
    const events = eventsOf(build);
    if (events.length === 0) return;
    const hooks = await deps.prisma.notification.findMany({ where: { repoId: build.repoId, enabled: true, events: { hasSome: events } } });
    for (const hook of hooks) {
      for (const event of events.filter((e) => hook.events.includes(e))) {
        let id: string;
        try {
          id = (await deps.prisma.notificationDelivery.create({ data: { notificationId: hook.id, buildId, event } })).id;
        } catch (err) {
          if (prismaCode(err) === 'P2002') continue; // queued already (the change was seen before)
          throw err;
        }
        await queue.add(
          'notify',
          { deliveryId: id },
          {
            jobId: id,
            attempts: retry.attempts,
            backoff: { type: 'exponential', delay: retry.backoffMs },
            removeOnComplete: { age: 86_400 },
            removeOnFail: { age: 7 * 86_400 },
          },
        );
      }
    }
  }

  return {
    sync,
    async close() {
      sub.disconnect();
      await worker.close().catch(() => {});
      await queue.close().catch(() => {});
      connection.disconnect();
    },
  };
}
