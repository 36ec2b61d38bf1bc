import { redisKeys } from '@archway/contract';
import { liveAgents } from '../../http/agents/index.ts';
import { recordAgents } from './agents.ts';
import { SWEPT_BUILD, type ReconcileDeps, type Sweep, type SweepCounts } from './context.ts';
import { closeLeftoverTasks } from './leftovers.ts';
import { reconcileBuild } from './repair.ts';

/** Open builds looked at per sweep; the next sweep goes on after the last one (SweepPosition). */
const BATCH = 500;

/**
 * Where the last sweep stopped, oldest first by (createdAt, id). Each sweep takes the next BATCH
 * open builds after it and wraps around to the oldest, so with a backlog bigger than BATCH every
 * open build is still looked at within ⌈open / BATCH⌉ sweeps: the oldest 500 of a long queue
 * cannot hide a lost build or a deadline behind them. Without one, a sweep starts at the oldest.
 */
export interface SweepPosition {
  after?: { createdAt: Date; id: string };
}

/**
 * One pass: remember live agents, compare every open build older than the grace period with its
 * BullMQ jobs (repairs and deadlines), close tasks their ended build left open. A build whose
 * repair fails is logged and looked at again next sweep; the others go on.
 */
export async function runSweep(deps: ReconcileDeps, signal?: AbortSignal, position: SweepPosition = {}, batch = BATCH): Promise<SweepCounts> {
  const counts: SweepCounts = {
    requeuedFlows: 0,
    requeuedResolves: 0,
    requeuedPublishes: 0,
    lostBuilds: 0,
    agentLost: 0,
    timedOut: 0,
    queueWait: 0,
    closedTasks: 0,
    forgottenAgents: 0,
  };
  const s: Sweep = { ...deps, now: Date.now(), live: await liveAgents(deps.redis, deps.prefix), suspects: new Set(), counts };
  await recordAgents(s);
  const builds = await nextOpenBuilds(deps, s.now, position, batch);
  for (const build of builds) {
    if (signal?.aborted) return counts;
    try {
      await reconcileBuild(s, build);
    } catch (err) {
      deps.log.error({ build: build.id, err: (err as Error).message }, 'reconciler: could not reconcile a build; next sweep tries again');
    }
  }
  await closeLeftoverTasks(s);
  // Tasks no longer suspected (their job moved on, their agent came back) start from zero next time.
  const key = redisKeys(deps.prefix).lostSince;
  const stale = (await deps.redis.hkeys(key)).filter((id) => !s.suspects.has(id));
  if (stale.length > 0 && builds.length < batch) await deps.redis.hdel(key, ...stale);
  return counts;
}

/** The next `batch` open builds past the grace period after `position`, wrapping around to the oldest; moves it on. */
async function nextOpenBuilds(deps: ReconcileDeps, now: number, position: SweepPosition, batch: number) {
  const open = { status: { in: SWEPT_BUILD }, createdAt: { lt: new Date(now - deps.policy.graceMs) } };
  const page = (after: SweepPosition['after'], take: number) =>
    deps.prisma.build.findMany({
      where: after ? { ...open, OR: [{ createdAt: { gt: after.createdAt } }, { createdAt: after.createdAt, id: { gt: after.id } }] } : open,
      include: { tasks: true },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
      take,
    });
  const first = await page(position.after, batch);
  const wrapped = position.after && first.length < batch ? await page(undefined, batch - first.length) : [];
  const seen = new Set(first.map((b) => b.id));
  const builds = [...first, ...wrapped.filter((b) => !seen.has(b.id))];
  const last = builds.at(-1);
  position.after = last ? { createdAt: last.createdAt, id: last.id } : undefined;
  return builds;
}
