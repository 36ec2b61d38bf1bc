import { CANCELABLE_BUILD_STATUSES, type BuildTrigger, type TagRules } from '@archway/contract';
import { ARCHWAY_YAML } from '../../rules/archway-yaml/index.ts';
import { planBuild, sourceRef, triggerRef, type RefTrigger, type RepoBuildDefaults } from '../../rules/build-plan/index.ts';
import { cancelBuild, checkSourceAddress, createBuild } from '../builds/index.ts';
import type { AppDeps } from '../../deps.ts';
import { HttpError, UnprocessableError } from '../../infra/errors.ts';
import { dbStatuses } from '../../infra/build-status.ts';
import type { Build, Repo as RepoRow } from '../../generated/prisma/client.ts';
import { enqueueSkipStatus, enqueueStatus, STATUS_QUEUE } from '../../workers/statuses/index.ts';
import { GitError, inspectCommit, listTags, type CommitFacts } from './git.ts';
import { repoTagRules } from './serialize.ts';

/** What a push, a tag or a pull request asks to build, with the commit already known. */
export type RepoTrigger = RefTrigger;
export { triggerRef };

export type TriggerResult =
  | {
      build: Build;
      /** Builds of the same branch or PR canceled because this one supersedes them. */
      canceled: string[];
    }
  | {
      /** Nothing was built (skip marker, `when:` filters): why. */
      skipped: string;
    };

export interface TriggerOptions {
  /** A forge's push or pull request: skip markers and `when:` apply (a person's explicit build ignores them). */
  automatic?: boolean;
  /** The commit the branch pointed at before the push (path filters compare with it). */
  before?: string | undefined;
  /** Why this build was started, shown on it (a schedule, a base image that changed). */
  reason?: string | undefined;
}

/** A build that was made: what builds asked for by a person, a schedule or a base image get (they are never skipped). */
export type BuiltResult = Extract<TriggerResult, { build: Build }>;

/**
 * Builds a commit of a registered repository: reads `.archway.yaml`, the message and the changed
 * files of the commit with git, lets planBuild (rules/build-plan) decide, then acts on its plan:
 * creates the build (a failed one, with the reason, when the file is invalid), cancels the builds
 * it supersedes and queues the commit status — or, for a skipped push, only the status saying why.
 * The clone URL is always the registered one, never one from a webhook body.
 */
export async function triggerRepoBuild(
  deps: AppDeps,
  repo: RepoRow,
  t: RepoTrigger,
  how: BuildTrigger,
  opts?: TriggerOptions & { automatic?: false },
): Promise<BuiltResult>;
export async function triggerRepoBuild(deps: AppDeps, repo: RepoRow, t: RepoTrigger, how: BuildTrigger, opts: TriggerOptions): Promise<TriggerResult>;
export async function triggerRepoBuild(deps: AppDeps, repo: RepoRow, t: RepoTrigger, how: BuildTrigger, opts: TriggerOptions = {}): Promise<TriggerResult> {
  // Before the API itself fetches from it: local sources may have been disallowed since registration.
  await checkSourceAddress(repo.cloneUrl, deps.allowLocalSources ?? false, 'cloneUrl');
  let facts: CommitFacts;
  try {
    facts = await inspectCommit(repo.cloneUrl, t.commit, ARCHWAY_YAML, { before: opts.automatic ? opts.before : undefined, timeoutMs: deps.gitTimeoutMs });
  } catch (err) {
    if (err instanceof GitError) throw new UnprocessableError(`cannot read ${ARCHWAY_YAML} at ${t.commit}: ${err.message}`, 'commit');
    throw err;
  }
  const rules = repoTagRules(repo);
  // "Highest release" needs the repository's other tags; unknown tags never claim `latest`.
  const repoTags = t.kind === 'tag' && rules.semverLatest === 'highest' ? await listTags(repo.cloneUrl, deps.gitTimeoutMs).catch(() => undefined) : undefined;
  const plan = planBuild({
    repo: repoDefaults(repo, rules),
    trigger: t,
    automatic: opts.automatic ?? false,
    commit: { yaml: facts.file, message: facts.message, changed: facts.changed },
    repoTags,
  });
  if (plan.kind === 'skip') {
    if (plan.status) await enqueueSkipStatus(deps.queues.queue(STATUS_QUEUE), { repoId: repo.id, commit: t.commit, reason: plan.reason }).catch(() => {});
    return { skipped: plan.reason };
  }
  const reason = opts.reason ?? null;
  if (plan.kind === 'invalid') return { build: await createFailedBuild(deps, repo, t, how, plan.reason, reason), canceled: [] };

  const build = await createBuild(deps, plan.request, how, { repoId: repo.id, triggerRef: triggerRef(t), reason, waitForApproval: plan.approval });
  await enqueueStatus(deps.queues.queue(STATUS_QUEUE), { buildId: build.id, stage: plan.approval ? 'waiting' : 'pending' }).catch(() => {
    // Best effort: the recorder's first change of this build queues `pending` again.
  });
  const canceled = await cancelSuperseded(deps, repo, t, build);
  return { build, canceled };
}

function repoDefaults(repo: RepoRow, tagRules: TagRules): RepoBuildDefaults {
  return {
    cloneUrl: repo.cloneUrl,
    provider: repo.provider,
    defaultBranch: repo.defaultBranch,
    image: repo.image,
    containerfile: repo.containerfile,
    context: repo.context,
    platforms: repo.platforms,
    buildArgs: (repo.buildArgs ?? {}) as Record<string, string>,
    tagRules,
    requireApproval: repo.requireApproval,
  };
}

/** A build that fails before any agent sees it (an invalid .archway.yaml), so the reason shows on it and on the forge. */
async function createFailedBuild(deps: AppDeps, repo: RepoRow, t: RepoTrigger, how: BuildTrigger, error: string, reason: string | null): Promise<Build> {
  const now = new Date();
  const build = await deps.prisma.build.create({
    data: {
      sourceUrl: repo.cloneUrl,
      ref: sourceRef(t, repo.provider),
      commit: t.commit,
      containerfile: repo.containerfile,
      context: repo.context,
      platforms: repo.platforms,
      image: repo.image,
      tags: [],
      buildArgs: repo.buildArgs ?? {},
      push: false,
      trigger: how,
      status: 'failed',
      error,
      reason,
      finishedAt: now,
      repoId: repo.id,
      triggerRef: triggerRef(t),
    },
  });
  await enqueueStatus(deps.queues.queue(STATUS_QUEUE), { buildId: build.id, stage: 'final' }).catch(() => {});
  return build;
}

async function cancelSuperseded(deps: AppDeps, repo: RepoRow, t: RepoTrigger, build: Build): Promise<string[]> {
  const enabled = t.kind === 'branch' ? repo.cancelSupersededBranches : t.kind === 'pr' ? repo.cancelSupersededPulls : false;
  if (!enabled) return [];
  const older = await deps.prisma.build.findMany({
    where: {
      repoId: repo.id,
      triggerRef: build.triggerRef,
      status: { in: dbStatuses(CANCELABLE_BUILD_STATUSES) },
      id: { not: build.id },
      createdAt: { lte: build.createdAt },
    },
    select: { id: true },
  });
  // At once: each cancel waits for the recorder to apply it, and a forge waits for this answer.
  const outcomes = await Promise.all(
    older.map(({ id }) =>
      cancelBuild(deps, id).then(
        () => id,
        (err: unknown) => {
          if (!(err instanceof HttpError)) throw err;
          return undefined; // finished meanwhile (409): nothing to cancel
        },
      ),
    ),
  );
  return outcomes.filter((id): id is string => id !== undefined);
}
