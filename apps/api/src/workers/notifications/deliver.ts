import { createHmac } from 'node:crypto';
import type { NotificationEvent, NotificationFormat, NotificationPayload } from '@archway/contract';
import type { PrismaClient } from '../../infra/db.ts';
import type { SecretBox } from '../../infra/secrets/secret-box.ts';
import { checkSourceAddress } from '../../http/builds/index.ts';
import { HttpError } from '../../infra/errors.ts';
import { notificationBody } from './bodies.ts';

export interface DeliverDeps {
  prisma: PrismaClient;
  secretBox: SecretBox;
  publicUrl: string;
  /** Receivers on loopback or private addresses allowed (ARCHWAY_ALLOW_LOCAL_SOURCES). */
  allowLocal: boolean;
}

/** A failed attempt; `permanent` ones (a 4xx other than 408/429, a refused address) are not retried. */
export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
  ) {
    super(message);
  }
}

const TIMEOUT_MS = 10_000;

/** `sha256=<hex>` of the exact body bytes, keyed with the notification's secret (like GitHub's X-Hub-Signature-256). */
export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/**
 * One attempt of one delivery: the body in the notification's format, signed, POSTed. The row
 * records the attempt, the receiver's status and, on the last attempt, the outcome. Neither the
 * secret nor the URL (a Slack URL is a credential) ever reaches a log or an error message.
 */
export async function deliver(deps: DeliverDeps, deliveryId: string, last: boolean): Promise<'delivered' | 'gone'> {
  const d = await deps.prisma.notificationDelivery.findUnique({ where: { id: deliveryId }, include: { notification: { include: { repo: true } } } });
  if (!d?.notification.enabled) return 'gone';
  const build = d.buildId ? await deps.prisma.build.findUnique({ where: { id: d.buildId } }) : null;
  const payload: NotificationPayload = {
    event: d.event as NotificationEvent,
    delivery: d.id,
    repository: { id: d.notification.repoId, fullName: d.notification.repo.fullName },
    build: {
      id: d.buildId ?? '',
      url: `${deps.publicUrl}/builds/${d.buildId ?? ''}`,
      status: build?.status ?? 'unknown',
      trigger: build?.trigger ?? 'unknown',
      ref: build?.ref ?? '',
      commit: build?.commit ?? null,
      image: build?.image ?? null,
      tags: build?.tags ?? [],
      indexDigest: build?.indexDigest ?? null,
      error: build?.error ?? null,
    },
  };
  const body = JSON.stringify(notificationBody(d.notification.format as NotificationFormat, payload));
  let status: number | null = null;
  try {
    const url = deps.secretBox.open(d.notification.url, 'notification-url');
    const secret = deps.secretBox.open(d.notification.secret, 'notification-secret');
    // Again at each attempt: the name may resolve elsewhere than when the notification was made.
    await checkSourceAddress(url, deps.allowLocal, 'url').catch((err: unknown) => {
      throw new DeliveryError(err instanceof HttpError ? err.message.replace(/^url: /, '') : String(err), true);
    });
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'archway-notifications',
        'x-archway-event': d.event,
        'x-archway-delivery': d.id,
        'x-archway-signature-256': signBody(secret, body),
      },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(TIMEOUT_MS),
    }).catch((err: Error & { cause?: Error }) => {
      throw new DeliveryError(`the receiver could not be reached: ${err.cause?.message ?? err.message}`, false);
    });
    status = res.status;
    await res.body?.cancel();
    if (!res.ok) {
      const permanent = res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429;
      throw new DeliveryError(`the receiver answered ${res.status}`, permanent);
    }
  } catch (err) {
    const message = err instanceof DeliveryError ? err.message : `internal error: ${(err as Error).message}`;
    const final = last || (err instanceof DeliveryError && err.permanent);
    await deps.prisma.notificationDelivery.update({
      where: { id: d.id },
      data: { attempts: { increment: 1 }, responseStatus: status, error: message.slice(0, 500), status: final ? 'failed' : 'pending' },
    });
    throw err instanceof DeliveryError ? err : new DeliveryError(message, false);
  }
  await deps.prisma.notificationDelivery.update({
    where: { id: d.id },
    data: { attempts: { increment: 1 }, responseStatus: status, error: null, status: 'delivered' },
  });
  return 'delivered';
}
