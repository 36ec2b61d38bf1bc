import { randomBytes } from 'node:crypto';
import type { Notification, NotificationCreate, NotificationDelivery, NotificationEvent, NotificationFormat, NotificationUpdate } from '@archway/contract';
import type { PrismaClient } from '../../infra/db.ts';
import { ConflictError, NotFoundError } from '../../infra/errors.ts';
import type { Notification as NotificationRow, NotificationDelivery as DeliveryRow, Prisma } from '../../generated/prisma/client.ts';
import type { SecretBox } from '../../infra/secrets/secret-box.ts';
import { checkSourceAddress, UUID_RE } from '../builds/index.ts';

const MAX_PER_REPO = 20;

export interface NotificationDeps {
  prisma: PrismaClient;
  secretBox: SecretBox;
  allowLocalSources: boolean;
}

/**
 * The URL as answers show it: scheme and host only. A Slack or Matrix webhook URL carries its
 * credential in the path, so the full URL stays sealed in the database and out of the browser.
 */
export function maskedUrl(box: SecretBox, sealed: string): string {
  try {
    const u = new URL(box.open(sealed, 'notification-url'));
    return `${u.protocol}//${u.host}/***`;
  } catch {
    return '***';
  }
}

export function toNotification(box: SecretBox, row: NotificationRow, secret?: string): Notification {
  return {
    id: row.id,
    repoId: row.repoId,
    url: maskedUrl(box, row.url),
    events: row.events as NotificationEvent[],
    format: row.format as NotificationFormat,
    enabled: row.enabled,
    ...(secret !== undefined ? { secret } : {}),
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export function toNotificationDelivery(row: DeliveryRow): NotificationDelivery {
  return {
    id: row.id,
    notificationId: row.notificationId,
    event: row.event as NotificationEvent,
    buildId: row.buildId,
    status: row.status as NotificationDelivery['status'],
    attempts: row.attempts,
    responseStatus: row.responseStatus,
    error: row.error,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export async function findNotification(prisma: PrismaClient, repoId: string, id: string): Promise<NotificationRow> {
  const row = UUID_RE.test(id) ? await prisma.notification.findFirst({ where: { id, repoId } }) : null;
  if (!row) throw new NotFoundError(`notification ${id} not found in this repository`, 'notificationId');
  return row;
}

const newSecret = () => randomBytes(24).toString('base64url');

/** Registers an outgoing webhook; returns the row and its signing secret in clear (shown once). */
export async function createNotification(deps: NotificationDeps, repoId: string, input: NotificationCreate): Promise<{ row: NotificationRow; secret: string }> {
  await checkSourceAddress(input.url, deps.allowLocalSources, 'url');
  if ((await deps.prisma.notification.count({ where: { repoId } })) >= MAX_PER_REPO) {
    throw new ConflictError(`a repository has at most ${MAX_PER_REPO} notifications: remove one first`, 'url');
  }
  const secret = input.secret ?? newSecret();
  const row = await deps.prisma.notification.create({
    data: {
      repoId,
      url: deps.secretBox.seal(input.url, 'notification-url'),
      events: input.events,
      format: input.format,
      secret: deps.secretBox.seal(secret, 'notification-secret'),
      enabled: input.enabled,
    },
  });
  return { row, secret };
}

export async function updateNotification(
  deps: NotificationDeps,
  current: NotificationRow,
  input: NotificationUpdate,
): Promise<{ row: NotificationRow; secret?: string }> {
  const data: Prisma.NotificationUpdateInput = {};
  if (input.url !== undefined) {
    await checkSourceAddress(input.url, deps.allowLocalSources, 'url');
    data.url = deps.secretBox.seal(input.url, 'notification-url');
  }
  if (input.events !== undefined) data.events = input.events;
  if (input.format !== undefined) data.format = input.format;
  if (input.enabled !== undefined) data.enabled = input.enabled;
  let secret: string | undefined;
  if (input.secret !== undefined || input.rotateSecret) {
    secret = input.secret ?? newSecret();
    data.secret = deps.secretBox.seal(secret, 'notification-secret');
  }
  const row = await deps.prisma.notification.update({ where: { id: current.id }, data });
  return { row, ...(secret !== undefined ? { secret } : {}) };
}
