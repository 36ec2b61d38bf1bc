import type {
  AgentView,
  Build,
  BuildList,
  BuildRequestInput,
  BuildStatus,
  Capacity,
  CreatedBuild,
  QueueDepth,
  Repo,
  RepoBuildRequest,
  RepoCreateInput,
  RepoUpdateInput,
  WebhookDelivery,
  Notification,
  NotificationCreateInput,
  NotificationDelivery,
  NotificationUpdate,
  Schedule,
  ScheduleCreateInput,
  ScheduleUpdate,
} from '@archway/contract';
import { request } from './client.ts';
import type { SessionInfo, SessionState } from './types.ts';

const V1 = '/api/v1';

export interface BuildQuery {
  status?: BuildStatus | '';
  /** A registered repository's id. */
  repoId?: string;
  /** A branch or tag. */
  ref?: string;
}

export function listBuilds(q: BuildQuery & { limit?: number; cursor?: string | null }): Promise<BuildList> {
  const params = new URLSearchParams();
  params.set('limit', String(q.limit ?? 50));
  if (q.cursor) params.set('cursor', q.cursor);
  if (q.status) params.set('status', q.status);
  if (q.repoId) params.set('repoId', q.repoId);
  if (q.ref) params.set('ref', q.ref);
  return request('GET', `${V1}/builds?${params}`);
}

export const getBuild = (id: string) => request<Build>('GET', `${V1}/builds/${encodeURIComponent(id)}`);
export const createBuild = (body: BuildRequestInput) => request<CreatedBuild>('POST', `${V1}/builds`, body);
export const rebuild = (id: string) => request<CreatedBuild>('POST', `${V1}/builds/${encodeURIComponent(id)}/rebuild`, {});
export const approveBuild = (id: string) => request<unknown>('POST', `${V1}/builds/${encodeURIComponent(id)}/approve`, {});
export const cancelBuild = (id: string) => request<unknown>('POST', `${V1}/builds/${encodeURIComponent(id)}/cancel`, {});

/** Accepts a bare list or `{ items }` so the page does not depend on the envelope. */
async function list<T>(path: string): Promise<T[]> {
  const body = await request<T[] | { items: T[] }>('GET', path);
  return Array.isArray(body) ? body : body.items;
}
const repoPath = (id: string) => `${V1}/repos/${encodeURIComponent(id)}`;
export const listRepos = () => list<Repo>(`${V1}/repos`);
export const getRepo = (id: string) => request<Repo>('GET', repoPath(id));
export const createRepo = (body: RepoCreateInput) => request<Repo>('POST', `${V1}/repos`, body);
export const updateRepo = (id: string, body: RepoUpdateInput) => request<Repo>('PATCH', repoPath(id), body);
export const deleteRepo = (id: string) => request<void>('DELETE', repoPath(id));
export const buildRepoRef = (id: string, body: RepoBuildRequest) =>
  request<CreatedBuild & { canceled: string[]; error: string | null }>('POST', `${repoPath(id)}/builds`, body);
export const listDeliveries = (id: string) => list<WebhookDelivery>(`${repoPath(id)}/deliveries?limit=20`);
const schedulePath = (repoId: string, id: string) => `${repoPath(repoId)}/schedules/${encodeURIComponent(id)}`;
export const listSchedules = (repoId: string) => list<Schedule>(`${repoPath(repoId)}/schedules`);
export const createSchedule = (repoId: string, body: ScheduleCreateInput) => request<Schedule>('POST', `${repoPath(repoId)}/schedules`, body);
export const updateSchedule = (repoId: string, id: string, body: ScheduleUpdate) => request<Schedule>('PATCH', schedulePath(repoId, id), body);
export const deleteSchedule = (repoId: string, id: string) => request<void>('DELETE', schedulePath(repoId, id));
const notificationPath = (repoId: string, id: string) => `${repoPath(repoId)}/notifications/${encodeURIComponent(id)}`;
export const listNotifications = (repoId: string) => list<Notification>(`${repoPath(repoId)}/notifications`);
export const createNotification = (repoId: string, body: NotificationCreateInput) => request<Notification>('POST', `${repoPath(repoId)}/notifications`, body);
export const updateNotification = (repoId: string, id: string, body: NotificationUpdate) => request<Notification>('PATCH', notificationPath(repoId, id), body);
export const deleteNotification = (repoId: string, id: string) => request<void>('DELETE', notificationPath(repoId, id));
export const listNotificationDeliveries = (repoId: string, id: string) => list<NotificationDelivery>(`${notificationPath(repoId, id)}/deliveries?limit=20`);

export const listAgents = () => list<AgentView>(`${V1}/agents`);
export const listQueues = () => list<QueueDepth>(`${V1}/queues`);
export const getCapacity = () => request<Capacity>('GET', `${V1}/capacity`);

export const getSession = () => request<SessionState>('GET', `${V1}/session`);
export const signIn = (token: string) => request<SessionInfo>('POST', `${V1}/session`, { token });
export const signOut = () => request<void>('DELETE', `${V1}/session`);

export function logUrl(buildId: string, platform: string, opts: { stream?: boolean; download?: boolean; image?: string | null | undefined } = {}): string {
  const params = new URLSearchParams({ platform });
  if (opts.image) params.set('image', opts.image);
  if (opts.download) params.set('download', '1');
  return `${V1}/builds/${encodeURIComponent(buildId)}/logs${opts.stream ? '/stream' : ''}?${params}`;
}
export const buildEventsUrl = `${V1}/events`;
