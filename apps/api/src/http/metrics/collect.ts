import { BuildStatus, PUBLISH_QUEUE, TaskStatus } from '@archway/contract';
import { Gauge, type Registry } from '@archway/runtime/metrics';
import type { AppDeps } from '../../deps.ts';
import { liveAgents, queueDepths } from '../agents/index.ts';
import { fromDbStatus } from '../../infra/build-status.ts';

type StateDeps = Pick<AppDeps, 'prisma' | 'redis' | 'prefix' | 'queues'>;

/**
 * What an operator alerts on: jobs piling up for a platform nobody serves, agents gone, builds
 * failing. Read from BullMQ, the agents' heartbeats and Postgres at scrape time (no state here,
 * so every API replica answers the same).
 */
export function registerStateGauges(registry: Registry) {
  const registers = [registry];
  const gauges = {
    queueJobs: new Gauge({
      name: 'archway_queue_jobs',
      help: "Build jobs in each platform's queue, by state (waiting includes prioritized).",
      labelNames: ['platform', 'state'] as const,
      registers,
    }),
    oldestWaiting: new Gauge({
      name: 'archway_queue_oldest_waiting_seconds',
      help: "Age of the oldest waiting build job of each platform's queue; 0 when none waits.",
      labelNames: ['platform'] as const,
      registers,
    }),
    agents: new Gauge({ name: 'archway_agents', help: 'Live agents (heartbeat not expired) per platform.', labelNames: ['platform'] as const, registers }),
    publishJobs: new Gauge({
      name: 'archway_publish_jobs',
      help: 'Publish (merger) jobs by state; waiting-children are builds whose platforms are still building.',
      labelNames: ['state'] as const,
      registers,
    }),
    builds: new Gauge({ name: 'archway_builds', help: 'Builds in the database, by status.', labelNames: ['status'] as const, registers }),
    tasks: new Gauge({ name: 'archway_tasks', help: 'Per-platform tasks in the database, by status.', labelNames: ['status'] as const, registers }),
  };

  /** Reads everything first, then replaces every value at once: a concurrent scrape never sees half. */
  return async function update(deps: StateDeps): Promise<void> {
    const agents = await liveAgents(deps.redis, deps.prefix);
    const [queues, publish, builds, tasks] = await Promise.all([
      queueDepths(deps, agents),
      deps.queues.queue(PUBLISH_QUEUE).getJobCounts('waiting', 'waiting-children', 'active', 'delayed', 'failed'),
      deps.prisma.build.groupBy({ by: ['status'], _count: { _all: true } }),
      deps.prisma.task.groupBy({ by: ['status'], _count: { _all: true } }),
    ]);
    for (const g of Object.values(gauges)) g.reset();
    for (const q of queues) {
      for (const state of ['waiting', 'active', 'delayed'] as const) gauges.queueJobs.set({ platform: q.platform, state }, q[state]);
      gauges.oldestWaiting.set({ platform: q.platform }, (q.oldestWaitingMs ?? 0) / 1000);
      gauges.agents.set({ platform: q.platform }, q.agents);
    }
    for (const [state, value] of Object.entries(publish)) gauges.publishJobs.set({ state }, value);
    // Every known status gets a series (at 0) before its first use: rate() and alerts need it.
    setByStatus(
      gauges.builds,
      builds.map((b) => ({ ...b, status: fromDbStatus(b.status) })),
      BuildStatus.options,
    );
    setByStatus(gauges.tasks, tasks, TaskStatus.options);
  };
}

function setByStatus(gauge: Gauge<'status'>, rows: { status: string; _count: { _all: number } }[], known: readonly string[]): void {
  const counts = new Map(known.map((s) => [s, 0]));
  for (const r of rows) counts.set(r.status, r._count._all);
  for (const [status, value] of counts) gauge.set({ status }, value);
}
