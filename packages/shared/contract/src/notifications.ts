import { z } from 'zod';
import { pageOf } from './api.ts';
import { HttpUrl } from './repos.ts';

/**
 * Outgoing webhooks of a repository (/api/v1/repos/:id/notifications): which events, where, in
 * which body format, and the log of their deliveries. The signing secret is shown once.
 */
export const NOTIFICATION_EVENTS = ['build.succeeded', 'build.failed', 'build.canceled', 'image.published'] as const;
export const NotificationEvent = z.enum(NOTIFICATION_EVENTS);
export type NotificationEvent = z.infer<typeof NotificationEvent>;

/** `json`: Archway's own body; `slack` / `matrix`: bodies those accept on an incoming webhook. */
export const NotificationFormat = z.enum(['json', 'slack', 'matrix']);
export type NotificationFormat = z.infer<typeof NotificationFormat>;

const Events = z
  .array(NotificationEvent)
  .min(1, `give at least one event: ${NOTIFICATION_EVENTS.join(', ')}`)
  .max(NOTIFICATION_EVENTS.length)
  .refine((e) => new Set(e).size === e.length, 'events must not repeat');
const Secret = z.string().min(16, 'secret must be at least 16 characters').max(256);

export const NotificationCreate = z
  .object({
    url: HttpUrl,
    events: Events,
    format: NotificationFormat.default('json'),
    /** HMAC-SHA256 key of the X-Archway-Signature-256 header; generated when absent. Shown once. */
    secret: Secret.optional(),
    enabled: z.boolean().default(true),
  })
  .strict();
export type NotificationCreate = z.infer<typeof NotificationCreate>;
export type NotificationCreateInput = z.input<typeof NotificationCreate>;

export const NotificationUpdate = z
  .object({
    url: HttpUrl.optional(),
    events: Events.optional(),
    format: NotificationFormat.optional(),
    secret: Secret.optional(),
    /** true: generate a new secret (returned once in the answer). */
    rotateSecret: z.boolean().optional(),
    enabled: z.boolean().optional(),
  })
  .strict()
  .refine((u) => !(u.secret && u.rotateSecret), { path: ['rotateSecret'], message: 'give secret or rotateSecret, not both' });
export type NotificationUpdate = z.infer<typeof NotificationUpdate>;

export const Notification = z.object({
  id: z.string(),
  repoId: z.string(),
  /** Credentials in the URL are masked (`***`). */
  url: z.string(),
  events: z.array(NotificationEvent),
  format: NotificationFormat,
  enabled: z.boolean(),
  /** Only in the answer that created it or rotated it. */
  secret: z.string().optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Notification = z.infer<typeof Notification>;

export const NotificationList = z.object({ items: z.array(Notification) });
export type NotificationList = z.infer<typeof NotificationList>;

export const NotificationDeliveryStatus = z.enum(['pending', 'delivered', 'failed']);

export const NotificationDelivery = z.object({
  /** The X-Archway-Delivery header of each attempt. */
  id: z.string(),
  notificationId: z.string(),
  event: NotificationEvent,
  buildId: z.string().nullable(),
  /** `pending` while attempts remain (retried with backoff), then `delivered` or `failed`. */
  status: NotificationDeliveryStatus,
  attempts: z.number().int(),
  /** The receiver's last HTTP status; null when it could not be reached. */
  responseStatus: z.number().int().nullable(),
  error: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type NotificationDelivery = z.infer<typeof NotificationDelivery>;

/** `GET …/notifications/:notificationId/deliveries`: newest first, in pages (one delivery per build and event is kept). */
export const NotificationDeliveryList = pageOf(NotificationDelivery);
export type NotificationDeliveryList = z.infer<typeof NotificationDeliveryList>;

/** Archway's own (`json`) body, also what the Slack and Matrix bodies are made from. */
export const NotificationPayload = z.object({
  event: NotificationEvent,
  delivery: z.string(),
  repository: z.object({ id: z.string(), fullName: z.string() }),
  build: z.object({
    id: z.string(),
    url: z.string(),
    status: z.string(),
    trigger: z.string(),
    ref: z.string(),
    commit: z.string().nullable(),
    image: z.string().nullable(),
    tags: z.array(z.string()),
    indexDigest: z.string().nullable(),
    error: z.string().nullable(),
  }),
});
export type NotificationPayload = z.infer<typeof NotificationPayload>;
