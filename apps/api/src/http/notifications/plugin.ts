import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { DeliveryListQuery, Notification, NotificationCreate, NotificationDeliveryList, NotificationList, NotificationUpdate } from '@archway/contract';
import { describeRoute, IdParams } from '../../infra/openapi/describe.ts';
import type { AppDeps } from '../../deps.ts';
import { keyset } from '../../infra/keyset.ts';
import type { SecretBox } from '../../infra/secrets/secret-box.ts';
import { findRepo } from '../repos/index.ts';
import { createNotification, findNotification, toNotification, toNotificationDelivery, updateNotification } from './service.ts';

const tags = ['notifications'];
const OneParams = IdParams.extend({ notificationId: z.string().describe('The notification id (a UUID)') });
const schemas = {
  list: describeRoute({
    tags,
    summary: "A repository's outgoing webhooks (URLs masked, secrets never shown)",
    params: IdParams,
    answers: { 200: NotificationList },
  }),
  create: describeRoute({
    tags,
    summary: 'Send build results to a URL (admin)',
    description:
      'POSTs JSON (or a Slack- or Matrix-compatible message) on the chosen events, with `X-Archway-Event`, `X-Archway-Delivery` and `X-Archway-Signature-256: sha256=<HMAC-SHA256 of the body with the secret>`; retried with backoff.',
    params: IdParams,
    body: NotificationCreate,
    answers: { 201: Notification.describe('Created; `secret` is shown in this answer only') },
  }),
  update: describeRoute({
    tags,
    summary: 'Change a notification (admin); only the fields given change',
    params: OneParams,
    body: NotificationUpdate,
    answers: { 200: Notification.describe('Updated; `secret` only when it was set or rotated') },
  }),
  remove: describeRoute({ tags, summary: 'Remove a notification and its delivery log (admin)', params: OneParams, answers: { 204: null } }),
  deliveries: describeRoute({
    tags,
    summary: "A notification's deliveries, newest first, in pages (`cursor`: the previous page's `nextCursor`)",
    params: OneParams,
    query: DeliveryListQuery,
    answers: { 200: NotificationDeliveryList },
  }),
};

/** /api/v1/repos/:id/notifications: outgoing webhooks (workers/notifications sends them). */
export async function notificationsPlugin(app: FastifyInstance, { deps, secretBox }: { deps: AppDeps; secretBox: SecretBox }): Promise<void> {
  const nDeps = { prisma: deps.prisma, secretBox, allowLocalSources: deps.allowLocalSources ?? false };
  type One = { Params: { id: string; notificationId: string } };

  // Bounded by construction, not paginated: a repository has at most 20 notifications (service.ts).
  app.get<{ Params: { id: string } }>('/repos/:id/notifications', { schema: schemas.list }, async (request): Promise<NotificationList> => {
    const repo = await findRepo(deps.prisma, request.params.id);
    const rows = await deps.prisma.notification.findMany({ where: { repoId: repo.id }, orderBy: { createdAt: 'asc' } });
    return { items: rows.map((r) => toNotification(secretBox, r)) };
  });

  app.post<{ Params: { id: string } }>('/repos/:id/notifications', { config: { scope: 'admin' }, schema: schemas.create }, async (request, reply) => {
    const repo = await findRepo(deps.prisma, request.params.id);
    const { row, secret } = await createNotification(nDeps, repo.id, NotificationCreate.parse(request.body));
    return reply.code(201).send(toNotification(secretBox, row, secret));
  });

  app.patch<One>('/repos/:id/notifications/:notificationId', { config: { scope: 'admin' }, schema: schemas.update }, async (request) => {
    const repo = await findRepo(deps.prisma, request.params.id);
    const current = await findNotification(deps.prisma, repo.id, request.params.notificationId);
    const { row, secret } = await updateNotification(nDeps, current, NotificationUpdate.parse(request.body ?? {}));
    return toNotification(secretBox, row, secret);
  });

  app.delete<One>('/repos/:id/notifications/:notificationId', { config: { scope: 'admin' }, schema: schemas.remove }, async (request, reply) => {
    const repo = await findRepo(deps.prisma, request.params.id);
    const row = await findNotification(deps.prisma, repo.id, request.params.notificationId);
    await deps.prisma.notification.delete({ where: { id: row.id } });
    return reply.code(204).send();
  });

  // One delivery per build and event is kept for as long as the notification exists: keyset pages
  // on the (notificationId, createdAt DESC, id) index.
  app.get<One>('/repos/:id/notifications/:notificationId/deliveries', { schema: schemas.deliveries }, async (request): Promise<NotificationDeliveryList> => {
    const q = DeliveryListQuery.parse(request.query);
    const repo = await findRepo(deps.prisma, request.params.id);
    const row = await findNotification(deps.prisma, repo.id, request.params.notificationId);
    const k = keyset(q.cursor, q.limit);
    const rows = await deps.prisma.notificationDelivery.findMany({ where: { notificationId: row.id, ...k.after }, orderBy: k.orderBy, take: k.take });
    const { rows: page, nextCursor } = k.page(rows);
    return { items: page.map(toNotificationDelivery), nextCursor };
  });
}
