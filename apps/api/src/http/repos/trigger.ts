import { CANCELABLE_BUILD_STATUSES, type BuildTrigger, type TagRules } from '@archway/contract';
import { ARCHWAY_YAML } from '../../rules/archway-yaml/index.ts';
import {
  needsChangedPaths,
  needsRepoTags,
  parseTriggerRef,
  planBuild,
  sourceRef,
  triggerRef,
  type RepoBuildDefaults,
  type RepoTrigger,
} from '../../rules/build-plan/index.ts';
import { acceptBuild, cancelBuild, checkSourceAddress, queueResolvedBuild, repoBuildSettings, withCommit, type AcceptedRow } from '../builds/index.ts';
import type { AppDeps } from '../../deps.ts';
import { HttpError, UnprocessableError } from '../../infra/errors.ts';
import { dbStatuses } from '../../infra/build-status.ts';
import type { Build, Repo as RepoRow } from '../../generated/prisma/client.ts';
import { changedPaths, GitError, inspectCommit, listTags, type CommitFacts } from './git.ts';
import { resolveRepoTrigger } from './resolve.ts';
import { repoTagRules } from './serialize.ts';

export { triggerRef, type RepoTrigger };

/** What a repository build asks for before the resolver knows the commit: a ref (default branch) and maybe a commit. */
export interface RepoRefRequest {
  ref?: string | undefined;
  commit?: string | undefined;
}

/** What a forge's push said that git cannot tell the resolver later. */
export interface AcceptExtra {
  /** The commit the branch pointed at before the push (path filters diff against it). */
  before?: string | undefined;
}

/**
 * Accepts a build of a registered repository (a webhook's trigger, or a ref of POST
 * /repos/:id/builds): one row in `resolving`, no git. The clone URL is always the registered one,
 * never one from a webhook body. The resolver then calls resolveRepoBuild.
 */
export async function acceptRepoBuild(
  deps: AppDeps,
  repo: RepoRow,
  t: RepoTrigger | RepoRefRequest,
  how: BuildTrigger,
  reason?: string,
  extra: AcceptExtra = {},
): Promise<AcceptedRow> {
  const known = 'kind' in t;
  const row = await acceptBuild(deps, {
    sourceUrl: repo.cloneUrl,
    // Until resolved: the trigger's ref, or the ref the user asked for (resolveRepoTrigger reads it).
    ref: known ? sourceRef(t, repo.provider) : (t.ref ?? repo.defaultBranch),
    commit: known ? t.commit : (t.commit?.toLowerCase() ?? null),
    containerfile: repo.containerfile,
    context: repo.context,
    platforms: repo.platforms,
    image: repo.image,
    tags: [],
    buildArgs: repo.buildArgs ?? {},
    push: false,
    trigger: how,
    repoId: repo.id,
    triggerRef: known ? triggerRef(t) : null,
    reason: reason ?? null,
    before: extra.before ?? null,
    untrusted: known && t.kind === 'pr' ? (t.untrusted ?? null) : null,
  });
  return row;
}

/** Why a build failed before any agent saw it, with what was learnt on the way (the commit). */
export class ResolveFailure extends Error {
  constructor(
    message: string,
    readonly trigger?: RepoTrigger,
  ) {
    super(message);
  }
}

/**
 * The repository's rules skip this commit (a skip marker, `when:` branch, tag or path filters):
 * the resolver ends the build `canceled` with the reason; `status`: the forge is told on the commit.
 */
export class ResolveSkip extends Error {
  constructor(
    message: string,
    readonly trigger: RepoTrigger,
    readonly status: boolean,
  ) {
    super(message);
  }
}

/** What the resolver did with a repository's build: queued, or waiting for approval (with why). */
export interface ResolvedRepoBuild {
  trigger: RepoTrigger;
  approval?: string;
}

/**
 * The resolver's part for a repository's build: the trigger (ref → branch, tag or pull request and
 * its commit, unless the webhook said), `.archway.yaml`, the message and the changed files at the
 * commit (inspectCommit), the tags, then planBuild decides: queued (or waiting for approval); an
 * unreadable repository, an unknown ref or an invalid file throw a ResolveFailure with the reason;
 * a skipped commit throws a ResolveSkip. Returns undefined when the build left `resolving` meanwhile.
 */
export async function resolveRepoBuild(deps: AppDeps, build: Build, repo: RepoRow): Promise<ResolvedRepoBuild | undefined> {
  // Before the API itself fetches from it: local sources may have been disallowed since registration.
  await checkSourceAddress(repo.cloneUrl, deps.allowLocalSources ?? false, 'cloneUrl');
  const t = await triggerOf(deps, build, repo);
  // A forge's push or pull request: skip markers and `when:` apply (a person's explicit build ignores them).
  const automatic = build.trigger === 'webhook';
  let facts: CommitFacts;
  try {
    facts = await inspectCommit(repo.cloneUrl, t.commit, ARCHWAY_YAML, { timeoutMs: deps.gitTimeoutMs });
  } catch (err) {
    if (err instanceof GitError) throw new ResolveFailure(`cannot read ${ARCHWAY_YAML} at ${t.commit}: ${err.message}`, t);
    throw err;
  }
  const changed = needsChangedPaths(automatic, facts.file)
    ? await changedPaths(repo.cloneUrl, build.before ?? undefined, t.commit, { timeoutMs: deps.gitTimeoutMs })
    : undefined;
  const tagRules = repoTagRules(repo);
  // "Highest release" needs the repository's other tags; unknown tags never claim `latest`.
  const repoTags = needsRepoTags(t, tagRules) ? await listTags(repo.cloneUrl, deps.gitTimeoutMs).catch(() => undefined) : undefined;
  const plan = planBuild({
    repo: repoDefaults(repo, tagRules),
    trigger: t,
    automatic,
    commit: { yaml: facts.file, message: facts.message, changed },
    repoTags,
  });
  if (plan.kind === 'skip') throw new ResolveSkip(plan.reason, t, plan.status);
  if (plan.kind === 'invalid') throw new ResolveFailure(plan.reason, t);
  const settings = await repoBuildSettings(deps, { repoId: repo.id, triggerRef: triggerRef(t) });
  const queued = await queueResolvedBuild(deps, build.id, withCommit(plan.request, t.commit), settings, {
    triggerRef: triggerRef(t),
    waitForApproval: plan.approval,
  });
  if (!queued) return undefined;
  return { trigger: t, ...(plan.approval ? { approval: plan.approval } : {}) };
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
    pushTargets: repo.pushTargets,
  };
}

async function triggerOf(deps: AppDeps, build: Build, repo: RepoRow): Promise<RepoTrigger> {
  const known = build.triggerRef && build.commit ? parseTriggerRef(build.triggerRef, build.commit, build.untrusted) : undefined;
  if (known) return known;
  try {
    return await resolveRepoTrigger(repo, build.ref, build.commit ?? undefined, deps.gitTimeoutMs);
  } catch (err) {
    if (err instanceof UnprocessableError) throw new ResolveFailure(err.message);
    throw err;
  }
}

/** Whether the repository asks for older builds of this trigger to be canceled when a newer one comes. */
export function cancelsSuperseded(repo: RepoRow, triggerRefText: string | null): boolean {
  if (triggerRefText?.startsWith('branch:')) return repo.cancelSupersededBranches;
  if (triggerRefText?.startsWith('pr:')) return repo.cancelSupersededPulls;
  return false;
}

/** A newer build of the same branch or pull request, if there is one (then this one need not be resolved at all). */
export async function newerBuildOf(deps: AppDeps, build: Build): Promise<string | undefined> {
  if (!build.repoId || !build.triggerRef) return undefined;
  const newer = await deps.prisma.build.findFirst({
    where: { repoId: build.repoId, triggerRef: build.triggerRef, createdAt: { gt: build.createdAt } },
    orderBy: { createdAt: 'desc' },
    select: { id: true },
  });
  return newer?.id;
}

/** Cancels the open builds of the same trigger older than `build` (they never reach an agent if still waiting). */
export async function cancelSuperseded(deps: AppDeps, build: Pick<Build, 'id' | 'repoId' | 'triggerRef' | 'createdAt'>): Promise<string[]> {
  const older = await deps.prisma.build.findMany({
    where: {
      repoId: build.repoId,
      triggerRef: build.triggerRef,
      status: { in: dbStatuses(CANCELABLE_BUILD_STATUSES) },
      id: { not: build.id },
      createdAt: { lte: build.createdAt },
    },
    select: { id: true },
  });
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
