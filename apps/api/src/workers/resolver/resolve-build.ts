import { redisKeys } from '@archway/contract';
import { sourceRef, triggerRef, type RepoTrigger } from '../../rules/build-plan/index.ts';
import { resolveRequestBuild } from '../../http/builds/index.ts';
import { cancelSuperseded, cancelsSuperseded, newerBuildOf, ResolveFailure, ResolveSkip, resolveRepoBuild } from '../../http/repos/index.ts';
import type { AppDeps } from '../../deps.ts';
import { HttpError } from '../../infra/errors.ts';
import { enqueueSkipStatus, enqueueStatus, STATUS_QUEUE } from '../statuses/index.ts';
import type { Build, Repo } from '../../generated/prisma/client.ts';

export type ResolveOutcome = 'queued' | 'waiting-for-approval' | 'failed' | 'canceled' | 'skipped';

/**
 * Resolves one accepted build: a request's ref (REST, rebuild), or a repository's trigger and its
 * `.archway.yaml`. Every state change is guarded on `resolving`, so a build canceled meanwhile
 * stays canceled and a repeated job changes nothing. What git or the file says is the build's
 * outcome (`failed` with the reason); anything else (Redis, Postgres away) is thrown for a retry,
 * and on the last attempt (`lastAttempt`) fails the build naming it.
 */
export async function resolveBuild(deps: AppDeps, buildId: string, opts: ResolveOptions = {}): Promise<ResolveOutcome> {
  const build = await deps.prisma.build.findUnique({ where: { id: buildId } });
  if (build?.status !== 'resolving') return 'skipped';
  // Only a repository's build needs its row (a REST build would pay a query for nothing).
  const repo = build.repoId ? await deps.prisma.repo.findUnique({ where: { id: build.repoId } }) : null;
  return resolveLoaded(deps, { ...build, repo }, opts.lastAttempt ?? true);
}

export interface ResolveOptions {
  /** False: an infrastructure error is thrown for a retry instead of failing the build. */
  lastAttempt?: boolean;
}

async function resolveLoaded(deps: AppDeps, build: Build & { repo: Repo | null }, lastAttempt: boolean): Promise<ResolveOutcome> {
  const buildId = build.id;
  const { repo } = build;
  try {
    if (build.request !== null) return (await resolveRequestBuild(deps, build)) ? changed(deps, buildId, 'queued') : 'skipped';
    if (!repo) return await finish(deps, build, 'failed', 'its repository was removed before the build was resolved');
    if (cancelsSuperseded(repo, build.triggerRef)) {
      // A newer push of the same branch or pull request is waiting: this one never costs a fetch.
      const newer = await newerBuildOf(deps, build);
      if (newer) return await finish(deps, build, 'canceled', `canceled: superseded by build ${newer} of the same ${build.triggerRef}`);
    }
    const resolved = await resolveRepoBuild(deps, build, repo);
    if (!resolved) return 'skipped';
    const t = resolved.trigger;
    // A pull request from a fork or a first-time contributor: tasks written, no flow until approved.
    const outcome = resolved.approval ? 'waiting-for-approval' : 'queued';
    await changed(deps, buildId, outcome);
    await commitStatus(deps, buildId, resolved.approval ? 'waiting' : 'pending');
    if (cancelsSuperseded(repo, triggerRef(t))) await cancelSuperseded(deps, { ...build, triggerRef: triggerRef(t) });
    return outcome;
  } catch (err) {
    if (err instanceof ResolveSkip) return skip(deps, build, err);
    if (err instanceof ResolveFailure) return finish(deps, build, 'failed', err.message, err.trigger);
    if (err instanceof HttpError) return finish(deps, build, 'failed', err.message);
    if (!lastAttempt) throw err;
    return finish(deps, build, 'failed', `could not be resolved: ${(err as Error).message}`);
  }
}

/** Ends a build that never reached an agent, with what was learnt (the commit) when there is a trigger. */
async function finish(
  deps: AppDeps,
  build: Build & { repo: Repo | null },
  status: 'failed' | 'canceled',
  reason: string,
  t?: RepoTrigger,
  opts: { finalStatus?: boolean } = {},
): Promise<ResolveOutcome> {
  const buildId = build.id;
  // A commit a user named for a ref is only the build's once the ref was found pointing at it.
  const unverified = build.repoId && !build.triggerRef ? { commit: null } : {};
  const learnt = t ? { commit: t.commit, ref: sourceRef(t, build.repo?.provider ?? 'github'), triggerRef: triggerRef(t) } : unverified;
  const moved = await deps.prisma.build.updateMany({
    where: { id: buildId, status: 'resolving' },
    data: { status, error: reason.slice(0, 2000), finishedAt: new Date(), ...learnt },
  });
  if (moved.count === 0) return 'skipped';
  await changed(deps, buildId, status);
  if (build.repoId && opts.finalStatus !== false) await commitStatus(deps, buildId, 'final');
  return status;
}

/**
 * The repository's rules skip the commit (skip marker, `when:` filters): there is no `skipped`
 * build status, so the build ends `canceled` with the reason; the forge gets the `skipped` commit
 * status (not `final`, which would report a cancel) and the webhook delivery that accepted it says
 * `skipped` too.
 */
async function skip(deps: AppDeps, build: Build & { repo: Repo | null }, s: ResolveSkip): Promise<ResolveOutcome> {
  // The delivery first: the status reporter, told of the cancel, reads it to stay silent.
  await deps.prisma.webhookDelivery.updateMany({ where: { buildId: build.id }, data: { result: 'skipped', message: s.message.slice(0, 2000) } });
  const outcome = await finish(deps, build, 'canceled', s.message, s.trigger, { finalStatus: false });
  if (outcome !== 'canceled') return outcome;
  if (s.status && build.repoId) {
    await enqueueSkipStatus(deps.queues.queue(STATUS_QUEUE), { repoId: build.repoId, commit: s.trigger.commit, reason: s.message }).catch(() => {});
  }
  return outcome;
}

/**
 * The forge hears of a repository's build from here at once (the reporter, where it runs, would
 * queue the same job on `buildChanged`; the job id keeps it once). Best effort: a Redis hiccup
 * only delays it until the recorder's next change of the build.
 */
async function commitStatus(deps: AppDeps, buildId: string, stage: 'pending' | 'waiting' | 'final'): Promise<void> {
  await enqueueStatus(deps.queues.queue(STATUS_QUEUE), { buildId, stage }).catch(() => {});
}

/** Tells the dashboard's streams and the commit-status reporter (it queues `pending` or `final`). */
async function changed<T extends ResolveOutcome>(deps: AppDeps, buildId: string, outcome: T): Promise<T> {
  await deps.redis.publish(redisKeys(deps.prefix).buildChanged, buildId);
  return outcome;
}
