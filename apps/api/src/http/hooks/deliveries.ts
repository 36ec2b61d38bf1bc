import type { DeliveryResult, WebhookDelivery } from '@archway/contract';
import type { PrismaClient } from '../../infra/db.ts';
import { prismaCode } from '../../infra/db.ts';
import type { WebhookDelivery as DeliveryRow } from '../../generated/prisma/client.ts';

export function toDelivery(row: DeliveryRow): WebhookDelivery {
  return {
    id: row.id,
    source: row.source,
    deliveryId: row.deliveryId,
    event: row.event,
    action: row.action,
    repoId: row.repoId,
    result: row.result,
    message: row.message,
    buildId: row.buildId,
    attempts: row.attempts,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export interface DeliveryKey {
  source: string;
  deliveryId: string;
  event: string;
  action: string | null;
  repoId: string;
}

/** The final result of a delivery that needs no build. */
export interface DeliveryOutcome {
  result: 'ping' | 'ignored';
  message: string;
}

export type Claim = { fresh: true; row: DeliveryRow } | { fresh: false; row: DeliveryRow };

/**
 * Records a delivery and decides whether to act on it. The unique (source, deliveryId) makes the
 * first arrival the only one that acts, even when two arrive at once; a repeat only counts
 * attempts. A delivery that ended in `error` (nothing was queued) may be retried by a repeat.
 */
export async function claimDelivery(prisma: PrismaClient, key: DeliveryKey, outcome?: DeliveryOutcome): Promise<Claim> {
  try {
    // A delivery whose outcome is known before acting (a ping, an ignored event) is written once, final.
    const data = outcome ? { ...key, result: outcome.result, message: outcome.message.slice(0, 2000) } : { ...key, result: 'processing' as const };
    return { fresh: true, row: await prisma.webhookDelivery.create({ data }) };
  } catch (err) {
    if (prismaCode(err) !== 'P2002') throw err;
  }
  const where = { source_deliveryId: { source: key.source, deliveryId: key.deliveryId } };
  const retried = await prisma.webhookDelivery.updateMany({
    where: { source: key.source, deliveryId: key.deliveryId, result: 'error' },
    data: { result: 'processing', message: null, attempts: { increment: 1 } },
  });
  if (retried.count === 1) return { fresh: true, row: (await prisma.webhookDelivery.findUnique({ where }))! };
  const row = await prisma.webhookDelivery.update({ where, data: { attempts: { increment: 1 } } });
  return { fresh: false, row };
}

export async function finishDelivery(
  prisma: PrismaClient,
  id: string,
  result: Exclude<DeliveryResult, 'processing'>,
  message: string | null,
  buildId: string | null = null,
): Promise<void> {
  await prisma.webhookDelivery.update({ where: { id }, data: { result, message: message?.slice(0, 2000) ?? null, buildId } });
}
