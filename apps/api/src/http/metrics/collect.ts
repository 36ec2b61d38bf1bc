import { BuildStatus, PUBLISH_QUEUE, TaskStatus } from '@archway/contract';
import type { AppDeps } from '../../deps.ts';
import { liveAgents, queueDepths } from '../agents/index.ts';
import { fromDbStatus } from '../../infra/build-status.ts';
import type { MetricFamily } from './exposition.ts';

/**
 * What an operator alerts on: jobs piling up for a platform nobody serves, agents gone, builds
 * failing. Read from BullMQ, the agents' heartbeats and Postgres at scrape time (no state here,
 * so every API replica answers the same).
 */
export async function collectMetrics(deps: Pick<AppDeps, 'prisma' | 'redis' | 'prefix' | 'queues'>): Promise<MetricFamily[]> {
  const agents = await liveAgents(deps.redis, deps.prefix);
  const [queues, publish, builds, tasks] = await Promise.all([
    queueDepths(deps, agents),
    deps.queues.queue(PUBLISH_QUEUE).getJobCounts('waiting', 'waiting-children', 'active', 'delayed', 'failed'),
    deps.prisma.build.groupBy({ by: ['status'], _count: { _all: true } }),
    deps.prisma.task.groupBy({ by: ['status'], _count: { _all: true } }),
  ]);
  // Every known status gets a series (at 0) before its first use: rate() and alerts need it.
  const byStatus = (rows: { status: string; _count: { _all: number } }[], known: readonly string[]) => {
    const counts = new Map(known.map((s) => [s, 0]));
    for (const r of rows) counts.set(r.status, r._count._all);
    return [...counts].map(([status, value]) => ({ labels: { status }, value }));
  };
  return [
    {
      name: 'archway_queue_jobs',
      help: "Build jobs in each platform's queue, by state (waiting includes prioritized).",
      type: 'gauge',
      samples: queues.flatMap((q) => [
        { labels: { platform: q.platform, state: 'waiting' }, value: q.waiting },
        { labels: { platform: q.platform, state: 'active' }, value: q.active },
        { labels: { platform: q.platform, state: 'delayed' }, value: q.delayed },
      ]),
    },
    {
      name: 'archway_queue_oldest_waiting_seconds',
      help: "Age of the oldest waiting build job of each platform's queue; 0 when none waits.",
      type: 'gauge',
      samples: queues.map((q) => ({ labels: { platform: q.platform }, value: (q.oldestWaitingMs ?? 0) / 1000 })),
    },
    {
      name: 'archway_agents',
      help: 'Live agents (heartbeat not expired) per platform.',
      type: 'gauge',
      samples: queues.map((q) => ({ labels: { platform: q.platform }, value: q.agents })),
    },
    {
      name: 'archway_publish_jobs',
      help: 'Publish (merger) jobs by state; waiting-children are builds whose platforms are still building.',
      type: 'gauge',
      samples: Object.entries(publish).map(([state, value]) => ({ labels: { state }, value })),
    },
    {
      name: 'archway_builds',
      help: 'Builds in the database, by status.',
      type: 'gauge',
      samples: byStatus(
        builds.map((b) => ({ ...b, status: fromDbStatus(b.status) })),
        BuildStatus.options,
      ),
    },
    { name: 'archway_tasks', help: 'Per-platform tasks in the database, by status.', type: 'gauge', samples: byStatus(tasks, TaskStatus.options) },
  ];
}
