import {
  BuildRequest,
  SupplyChain,
  type BaseImage,
  type Build,
  type BuildSummary,
  type BuildTrigger,
  type Phase,
  type Task,
  type TaskAttempt,
  type TaskSummary,
  type PhaseKind,
} from '@archway/contract';
import { redactUrl } from '@archway/runtime';
import type { Prisma } from '../../generated/prisma/client.ts';
import { fromDbStatus } from '../../infra/build-status.ts';

/** What to load for one `Build` answer: tasks with their phases, and the build's own phases. */
export const BUILD_INCLUDE = {
  tasks: { include: { phases: true, history: { orderBy: { attempt: 'asc' } } } },
  phases: { where: { taskId: null } },
} satisfies Prisma.BuildInclude;

export type BuildRow = Prisma.BuildGetPayload<{ include: typeof BUILD_INCLUDE }>;
type PhaseRow = BuildRow['phases'][number];
type TaskRow = BuildRow['tasks'][number];

/** The columns of a task that a list shows (TaskSummary); the list reads just these (list.ts). */
export type TaskSummaryRow = Pick<
  TaskRow,
  | 'id'
  | 'platform'
  | 'image'
  | 'status'
  | 'agent'
  | 'attempts'
  | 'error'
  | 'failedStep'
  | 'exitCode'
  | 'manifestDigest'
  | 'baseImages'
  | 'archiveSize'
  | 'startedAt'
  | 'finishedAt'
>;

/** The columns of a build that a list shows (BuildSummary), with its tasks. */
export type BuildSummaryRow = Pick<
  BuildRow,
  | 'id'
  | 'status'
  | 'sourceUrl'
  | 'ref'
  | 'commit'
  | 'containerfile'
  | 'context'
  | 'request'
  | 'platforms'
  | 'image'
  | 'tags'
  | 'buildArgs'
  | 'push'
  | 'trigger'
  | 'reason'
  | 'error'
  | 'indexDigest'
  | 'imageDigests'
  | 'createdAt'
  | 'startedAt'
  | 'finishedAt'
  | 'repoId'
  | 'triggerRef'
  | 'statusState'
  | 'statusError'
  | 'approvalReason'
  | 'approvedBy'
  | 'approvedAt'
> & { tasks: TaskSummaryRow[] };

const iso = (d: Date | null) => (d ? d.toISOString() : null);

function toPhase(p: PhaseRow): Phase {
  return {
    name: p.name,
    kind: p.kind as PhaseKind,
    step: p.step,
    attempt: p.attempt,
    startedAt: p.startedAt.toISOString(),
    endedAt: iso(p.endedAt),
    durationMs: p.durationMs,
    cached: p.cached,
  };
}

function byStart(a: PhaseRow, b: PhaseRow): number {
  return a.attempt - b.attempt || a.startedAt.getTime() - b.startedAt.getTime() || (a.step ?? 0) - (b.step ?? 0);
}

function toTaskSummary(t: TaskSummaryRow): TaskSummary {
  return {
    id: t.id,
    platform: t.platform,
    image: t.image || null,
    status: t.status,
    agent: t.agent,
    attempts: t.attempts,
    error: t.error,
    failedStep: t.failedStep,
    exitCode: t.exitCode,
    manifestDigest: t.manifestDigest,
    baseImages: (t.baseImages ?? []) as BaseImage[],
    archiveSize: t.archiveSize === null ? null : Number(t.archiveSize),
    startedAt: iso(t.startedAt),
    finishedAt: iso(t.finishedAt),
  };
}

function toTask(t: TaskRow): Task {
  return {
    ...toTaskSummary(t),
    phases: [...t.phases].sort(byStart).map(toPhase),
    history: t.history.map((h) => ({
      attempt: h.attempt,
      agent: h.agent,
      startedAt: iso(h.startedAt),
      endedAt: iso(h.endedAt),
      outcome: h.outcome,
      cause: h.cause as TaskAttempt['cause'],
      reason: h.reason,
    })),
  };
}

/** Tasks grouped by image (in the request's order), then in platform order. */
function inTaskOrder<T extends TaskSummaryRow>(b: BuildSummaryRow, tasks: readonly T[], images: Build['images']): T[] {
  const rank = (list: readonly string[], v: string) => (list.indexOf(v) === -1 ? Number.MAX_SAFE_INTEGER : list.indexOf(v));
  const names = images?.map((i) => i.name) ?? [];
  const order = (t: TaskSummaryRow) => rank(names, t.image) * 1000 + rank(b.platforms, t.platform);
  return [...tasks].sort((x, y) => order(x) - order(y));
}

/** A build's own fields with its tasks in order, each shown by `view` (a summary or the whole task). */
function buildView<T extends TaskSummaryRow, V>(b: BuildSummaryRow & { tasks: T[] }, view: (t: T) => V): Omit<BuildSummary, 'tasks'> & { tasks: V[] } {
  const images = imagesOf(b);
  return {
    id: b.id,
    status: fromDbStatus(b.status),
    source: { url: redactUrl(b.sourceUrl), ref: b.ref, commit: b.commit },
    containerfile: b.containerfile,
    context: b.context,
    target: requestTarget(b.request),
    platforms: b.platforms,
    image: b.image,
    tags: b.tags,
    buildArgs: (b.buildArgs ?? {}) as Record<string, string>,
    push: b.push,
    // Written only by createBuild and the triggers, from the contract's list.
    trigger: b.trigger as BuildTrigger,
    reason: b.reason,
    error: b.error,
    indexDigest: b.indexDigest,
    createdAt: b.createdAt.toISOString(),
    startedAt: iso(b.startedAt),
    finishedAt: iso(b.finishedAt),
    tasks: inTaskOrder(b, b.tasks, images).map(view),
    ...(images ? { images } : {}),
    repoId: b.repoId,
    triggerRef: b.triggerRef,
    statusState: b.statusState,
    statusError: b.statusError,
    approval: b.approvalReason ? { reason: b.approvalReason, approvedBy: b.approvedBy, approvedAt: iso(b.approvedAt) } : null,
  };
}

/** A build as lists show it (BuildSummary): no phases, attempt history or supply-chain record. */
export function toBuildSummary(b: BuildSummaryRow): BuildSummary {
  return buildView(b, toTaskSummary);
}

export function toBuild(b: BuildRow): Build {
  return {
    ...buildView(b, toTask),
    phases: [...b.phases].sort(byStart).map(toPhase),
    supplyChain: b.supplyChain === null ? null : (SupplyChain.safeParse(b.supplyChain).data ?? null),
  };
}

/** A build of several images: each image's settings (from the stored request) and its published index. */
function imagesOf(b: BuildSummaryRow): Build['images'] {
  // Most builds are of one image: no need to validate their whole request (a list shows 50).
  if (!(b.request as { images?: unknown } | null)?.images) return undefined;
  const parsed = BuildRequest.safeParse(b.request);
  if (!parsed.success || !parsed.data.images) return undefined;
  const digests = (b.imageDigests ?? {}) as Record<string, string | null>;
  return parsed.data.images.map((i) => ({
    name: i.name,
    image: i.image ?? null,
    containerfile: i.containerfile ?? null,
    context: i.context,
    target: i.target ?? null,
    platforms: i.platforms,
    tags: i.tags,
    push: i.push,
    indexDigest: digests[i.name] ?? null,
  }));
}

/** `target` lives only in the stored request (no column of its own). */
function requestTarget(request: unknown): string | null {
  const t = (request as { target?: unknown } | null)?.target;
  return typeof t === 'string' ? t : null;
}

/** Build ids are UUIDs (defined with the cursor that carries them). */
export { UUID_RE } from '../../infra/keyset.ts';
