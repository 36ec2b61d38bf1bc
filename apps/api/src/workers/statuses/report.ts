import { isFinalBuildStatus, type FinalBuildStatus } from '@archway/contract';
import type { PrismaClient } from '../../infra/db.ts';
import type { SecretBox } from '../../infra/secrets/secret-box.ts';
import { forgeApiBase, postCommitStatus, STATUS_POST_TIMEOUT_MS, StatusPostError, type CommitStatus, type ForgeState, type GitlabState } from './client.ts';
import type { SkipStatusJob, StatusJob } from './queue.ts';

export interface ReportDeps {
  prisma: PrismaClient;
  secretBox: SecretBox;
  publicUrl: string;
}

/** The forge state of each final build status (typed: a new final status must be mapped here). */
const FORGE_STATE: Record<FinalBuildStatus, ForgeState> = { succeeded: 'success', failed: 'failure', canceled: 'error' };
/** GitLab has a state for each: canceled is not an error there. */
const GITLAB_STATE: Record<FinalBuildStatus, GitlabState> = { succeeded: 'success', failed: 'failed', canceled: 'canceled' };

const OPEN_STATES = new Set(['pending', 'running']);

/** The state a job's stage posts on this forge, or undefined when it has nothing to post. */
function stateFor(provider: string, stage: StatusJob['stage'], status: string, reported: string | null): CommitStatus['state'] | undefined {
  const gitlab = provider === 'gitlab';
  // Waiting for approval: pending, saying so; never once the build moved on.
  if (stage === 'waiting') return status === 'waiting_for_approval' && (!reported || OPEN_STATES.has(reported)) ? 'pending' : undefined;
  if (isFinalBuildStatus(status)) return stage === 'final' ? (gitlab ? GITLAB_STATE : FORGE_STATE)[status] : undefined;
  if (stage === 'final') return undefined;
  // An open stage after a final state would overwrite the result on the forge.
  if (reported && !OPEN_STATES.has(reported)) return undefined;
  // Other forges have no running state: `pending` is the pending stage's to post. Posting it here
  // too raced that job (both read no reported state) and told the forge `pending` twice.
  if (stage === 'running') return gitlab ? 'running' : undefined;
  return reported === 'running' ? undefined : 'pending';
}

export type ReportOutcome = 'posted' | 'skipped';

function describe(build: { status: string; error: string | null; push: boolean; tags: string[]; platforms: string[]; approvalReason: string | null }): string {
  switch (build.status) {
    case 'waiting_for_approval':
      return `Waiting for approval: ${build.approvalReason ?? 'an untrusted pull request'}`;
    case 'queued':
      return `Queued: ${build.platforms.join(', ')}`;
    case 'running':
    case 'publishing':
      return `Building ${build.platforms.join(', ')}`;
    case 'succeeded':
      return build.push ? `Pushed ${build.tags.join(', ')}` : `Built ${build.platforms.join(', ')} (not pushed)`;
    case 'canceled':
      return 'Canceled';
    default:
      return build.error ?? 'Failed';
  }
}

/** How long one build's status job may hold the build's turn: its own post and a few waiting ahead. */
const TURN_MS = 4 * STATUS_POST_TIMEOUT_MS + 5_000;

/**
 * Posts the commit status of one transition of a build of a registered repository (no repository
 * or no forge token: nothing to do). A failure is written on the build (`statusError`) and
 * rethrown for the queue to retry; it never changes the build's own status.
 *
 * A build's jobs take turns (a transaction-scoped advisory lock on the build id, across workers
 * and API replicas): each reads the state the previous one reported and posts after it, so two
 * stages queued at once (pending and running, or pending and final of a quick build) can neither
 * both post nor reach the forge in the wrong order. The lock's connection is held for the post.
 */
export async function reportStatus(deps: ReportDeps, job: StatusJob): Promise<ReportOutcome> {
  // Most jobs have nothing to post (a repository without a forge token, a build already past the
  // stage), which a plain read tells without the turn's transaction. States only move forward, so
  // what this read skips, the locked read below would skip too.
  const peek = await deps.prisma.build.findUnique({
    where: { id: job.buildId },
    select: { status: true, commit: true, statusState: true, repo: { select: { provider: true, forgeToken: true } } },
  });
  if (!peek?.repo?.forgeToken || !peek.commit || !stateFor(peek.repo.provider, job.stage, peek.status, peek.statusState)) return 'skipped';
  let failed: { state: string; err: unknown } | undefined;
  const outcome = await deps.prisma.$transaction(
    async (tx) => {
      await tx.$executeRaw`SELECT 1 FROM pg_advisory_xact_lock(hashtextextended(${`status:${job.buildId}`}, 0))`;
      const build = await tx.build.findUnique({ where: { id: job.buildId }, include: { repo: true } });
      const repo = build?.repo;
      if (!build || !repo?.forgeToken || !build.commit) return 'skipped';
      const state = stateFor(repo.provider, job.stage, build.status, build.statusState);
      if (!state) return 'skipped';
      const status: CommitStatus = {
        state,
        targetUrl: `${deps.publicUrl}/builds/${build.id}`,
        description: describe(build),
        context: statusContext(build.image),
      };
      try {
        const token = deps.secretBox.open(repo.forgeToken, 'forge-token');
        await postCommitStatus({ provider: repo.provider, apiBase: forgeApiBase(repo), fullName: repo.fullName, sha: build.commit, token }, status);
      } catch (err) {
        failed = { state, err };
        return 'skipped';
      }
      await tx.build.update({ where: { id: build.id }, data: { statusState: status.state, statusError: null } });
      return 'posted';
    },
    { timeout: TURN_MS, maxWait: 10_000 },
  );
  if (failed) {
    // Written after the turn ends: a failure inside it would be rolled back with it.
    const reason = failed.err instanceof StatusPostError ? failed.err.message : `internal error: ${(failed.err as Error).message}`;
    await deps.prisma.build.update({
      where: { id: job.buildId },
      data: { statusError: `commit status "${failed.state}" not reported: ${reason}`.slice(0, 1000) },
    });
    throw failed.err;
  }
  return outcome;
}

/** One context per image repository, so a forge keeps each image's latest state apart. */
function statusContext(image: string | null): string {
  return image ? `archway/${image}` : 'archway';
}

/**
 * Posts `success` with the reason for a commit Archway chose not to build (a skip marker, path
 * filters), so a forge that waits for the check does not wait forever. Links to the repository's
 * deliveries, where the same reason is recorded. Failures are retried, never written on a build.
 */
export async function reportSkipped(deps: ReportDeps, job: SkipStatusJob): Promise<ReportOutcome> {
  const repo = await deps.prisma.repo.findUnique({ where: { id: job.repoId } });
  if (!repo?.forgeToken) return 'skipped';
  const token = deps.secretBox.open(repo.forgeToken, 'forge-token');
  await postCommitStatus(
    { provider: repo.provider, apiBase: forgeApiBase(repo), fullName: repo.fullName, sha: job.commit, token },
    { state: 'success', targetUrl: `${deps.publicUrl}/repos/${repo.id}`, description: job.reason, context: statusContext(repo.image) },
  );
  return 'posted';
}
