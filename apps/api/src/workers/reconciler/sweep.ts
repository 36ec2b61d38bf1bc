import { redisKeys } from '@archway/contract';
import { liveAgents } from '../../http/agents/index.ts';
import { recordAgents } from './agents.ts';
import { SWEPT_BUILD, type ReconcileDeps, type Sweep, type SweepCounts } from './context.ts';
import { closeLeftoverTasks } from './leftovers.ts';
import { reconcileBuild } from './repair.ts';

/** Open builds looked at per sweep, oldest first; the rest wait for the next one. */
const BATCH = 500;

/**
 * One pass: remember live agents, compare every open build older than the grace period with its
 * BullMQ jobs (repairs and deadlines), close tasks their ended build left open. A build whose
 * repair fails is logged and looked at again next sweep; the others go on.
 */
export async function runSweep(deps: ReconcileDeps, signal?: AbortSignal): Promise<SweepCounts> {
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
  const builds = await deps.prisma.build.findMany({
    where: { status: { in: SWEPT_BUILD }, createdAt: { lt: new Date(s.now - deps.policy.graceMs) } },
    include: { tasks: true },
    orderBy: { createdAt: 'asc' },
    take: BATCH,
  });
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
  if (stale.length > 0 && builds.length < BATCH) await deps.redis.hdel(key, ...stale);
  return counts;
}
