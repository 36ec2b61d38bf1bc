import { z } from 'zod';

/**
 * Every status set, defined once. The values are also Postgres enums (prisma/schema.prisma
 * `BuildStatus`, `TaskStatus`, `AttemptOutcome`, `DeliveryResult`); statuses.test.ts in apps/api
 * checks that the generated client's enums equal these arrays.
 */
/**
 * `resolving`: accepted, not yet queued. The API's resolver (apps/api/src/workers/resolver) turns
 * the ref into a commit and reads `.archway.yaml` behind the request; then `queued` (or
 * `waiting-for-approval`), or `failed` with the reason (an unknown ref, an unreadable repository,
 * an invalid `.archway.yaml`), or `canceled` when the repository's rules skip the commit.
 */
export const BUILD_STATUSES = ['waiting-for-approval', 'resolving', 'queued', 'running', 'publishing', 'succeeded', 'failed', 'canceled'] as const;
export const BuildStatus = z.enum(BUILD_STATUSES);
export type BuildStatus = z.infer<typeof BuildStatus>;

export const TASK_STATUSES = ['queued', 'running', 'built', 'failed', 'canceled'] as const;
export const TaskStatus = z.enum(TASK_STATUSES);
export type TaskStatus = z.infer<typeof TaskStatus>;

/** How one attempt of a task ended (`requeued`: given back without using an attempt). */
export const ATTEMPT_OUTCOMES = ['running', 'built', 'failed', 'requeued', 'canceled'] as const;
export const AttemptOutcome = z.enum(ATTEMPT_OUTCOMES);
export type AttemptOutcome = z.infer<typeof AttemptOutcome>;

/** What became of a webhook delivery. */
export const DELIVERY_RESULTS = ['processing', 'queued', 'ignored', 'ping', 'error', 'skipped'] as const;
export const DeliveryResult = z.enum(DELIVERY_RESULTS);
export type DeliveryResult = z.infer<typeof DeliveryResult>;

/** A build in one of these never changes again. */
export const FINAL_BUILD_STATUSES = ['succeeded', 'failed', 'canceled'] as const satisfies readonly BuildStatus[];
export type FinalBuildStatus = (typeof FINAL_BUILD_STATUSES)[number];
/**
 * Not final yet. `waiting-for-approval`: a pull request from a fork or a first-time contributor;
 * nothing is queued until a person with the build scope approves it.
 */
export const OPEN_BUILD_STATUSES = ['waiting-for-approval', 'resolving', 'queued', 'running', 'publishing'] as const satisfies readonly BuildStatus[];
/**
 * Open and handed to Redis: its jobs exist (or must), the recorder moves it, the reconciler sweeps
 * it. A build waiting for approval has no jobs on purpose and is never failed for lacking them; a
 * resolving build has only its resolve job (workers/reconciler/resolving.ts).
 */
export const QUEUED_BUILD_STATUSES = ['queued', 'running', 'publishing'] as const satisfies readonly BuildStatus[];
/** A publishing build is past canceling: its platforms are built and the merger pushes them. */
export const CANCELABLE_BUILD_STATUSES = ['waiting-for-approval', 'resolving', 'queued', 'running'] as const satisfies readonly BuildStatus[];

export const FINAL_TASK_STATUSES = ['built', 'failed', 'canceled'] as const satisfies readonly TaskStatus[];
export type FinalTaskStatus = (typeof FINAL_TASK_STATUSES)[number];
/** Waiting for or held by an agent; for tasks, open is also what can be canceled. */
export const OPEN_TASK_STATUSES = ['queued', 'running'] as const satisfies readonly TaskStatus[];
export const CANCELABLE_TASK_STATUSES = OPEN_TASK_STATUSES;

const among =
  <T extends string>(set: readonly T[]) =>
  (status: string): status is T =>
    (set as readonly string[]).includes(status);

export const isFinalBuildStatus = among(FINAL_BUILD_STATUSES);
export const isOpenBuildStatus = among(OPEN_BUILD_STATUSES);
export const isCancelableBuildStatus = among(CANCELABLE_BUILD_STATUSES);
export const isFinalTaskStatus = among(FINAL_TASK_STATUSES);
export const isOpenTaskStatus = among(OPEN_TASK_STATUSES);
