import { isOpenBuildStatus } from '@archway/contract';
import type { AppDeps } from '../../deps.ts';
import { HttpError } from '../../infra/errors.ts';
import { acceptRepoBuild, findRepo, resolveRepoTrigger } from '../../http/repos/index.ts';
import { latestBranchBuilds, type BranchBuild } from './candidates.ts';
import { parseBaseReference } from './reference.ts';
import { PollError, type RegistryPoller } from './registry.ts';

export interface WatchOptions {
  poller: RegistryPoller;
  /** How often each reference is polled (ARCHWAY_BASE_WATCH_INTERVAL). */
  intervalMs: number;
  /** The longest wait after failures in a row (backoff doubles up to it). */
  maxBackoffMs?: number;
  log?: { info(obj: object, msg?: string): void; warn(obj: object, msg?: string): void };
}

export interface TickReport {
  polled: number;
  changed: string[];
  rebuilt: string[];
}

/**
 * One pass: watch the base images of every opted-in branch's newest build, poll the ones that
 * are due, and rebuild the latest commit of each branch whose newest build used a digest the
 * registry no longer serves for that reference. A branch whose newest build is still open is
 * left alone (that build, or the next pass, settles it), so a change rebuilds a branch once.
 */
export async function watchTick(deps: AppDeps, o: WatchOptions, now = new Date()): Promise<TickReport> {
  const branches = await latestBranchBuilds(deps.prisma);
  const wanted = [...new Set(branches.flatMap((b) => [...b.bases.keys()]))];
  await deps.prisma.baseImageWatch.createMany({ data: wanted.map((reference) => ({ reference })), skipDuplicates: true });
  // References no branch uses any more are no longer polled.
  await deps.prisma.baseImageWatch.deleteMany({ where: { reference: { notIn: wanted } } });
  const due = await deps.prisma.baseImageWatch.findMany({ where: { reference: { in: wanted }, nextCheckAt: { lte: now } } });
  const report: TickReport = { polled: 0, changed: [], rebuilt: [] };
  for (const row of due) {
    const ref = parseBaseReference(row.reference);
    if (!ref) continue;
    report.polled++;
    try {
      const head = await o.poller.head(ref, row.digest, row.members);
      const changed = row.digest !== null && row.digest !== head.digest;
      if (changed) report.changed.push(row.reference);
      await deps.prisma.baseImageWatch.update({
        where: { reference: row.reference },
        data: {
          digest: head.digest,
          members: head.members,
          checkedAt: now,
          ...(changed ? { changedAt: now } : {}),
          nextCheckAt: new Date(now.getTime() + o.intervalMs),
          failures: 0,
          error: null,
        },
      });
      const current = new Set([head.digest, ...head.members]);
      for (const b of branches) {
        const used = b.bases.get(row.reference);
        if (!used || [...used].some((d) => current.has(d))) continue;
        const id = await rebuild(deps, b, `base image ${row.reference} changed (${[...used][0]} → ${head.digest})`, o);
        if (id) report.rebuilt.push(id);
      }
    } catch (err) {
      if (!(err instanceof PollError)) throw err;
      const failures = row.failures + 1;
      const backoff = Math.min(o.intervalMs * 2 ** failures, o.maxBackoffMs ?? 24 * 3_600_000);
      const wait = Math.max(backoff, err.retryAfterMs ?? 0);
      o.log?.warn({ reference: row.reference, failures, retryInMs: wait, err: err.message }, 'base image poll failed');
      await deps.prisma.baseImageWatch.update({
        where: { reference: row.reference },
        data: { checkedAt: now, failures, error: err.message.slice(0, 1000), nextCheckAt: new Date(now.getTime() + wait) },
      });
    }
  }
  return report;
}

async function rebuild(deps: AppDeps, b: BranchBuild, reason: string, o: WatchOptions): Promise<string | undefined> {
  if (isOpenBuildStatus(b.status)) return undefined;
  try {
    const repo = await findRepo(deps.prisma, b.repoId);
    const t = await resolveRepoTrigger(repo, `refs/heads/${b.branch}`, undefined, deps.gitTimeoutMs);
    const build = await acceptRepoBuild(deps, repo, t, 'base-image', reason);
    // What this pass knows: the branch's newest build is the new, open one.
    b.status = build.status;
    o.log?.info({ repoId: b.repoId, branch: b.branch, buildId: build.id }, reason);
    return build.id;
  } catch (err) {
    if (!(err instanceof HttpError)) throw err;
    o.log?.warn({ repoId: b.repoId, branch: b.branch, err: err.message }, 'base image rebuild not started');
    return undefined;
  }
}
