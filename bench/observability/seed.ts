import type { Redis } from 'ioredis';
import pg from 'pg';
import { AGENT_PROCESS_PREFIX, createAgentMetrics } from '../../apps/agent/src/metrics/agent-metrics.ts';
import { MetricsPusher, pushedFamilies } from '@archway/runtime/metrics';

/** Finished builds (two platforms each, succeeded or failed), inserted in one statement each. */
export async function seedFinishedBuilds(databaseUrl: string, count: number): Promise<void> {
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    await db.query(
      `WITH b AS (
         INSERT INTO "Build" (id, status, "sourceUrl", ref, commit, platforms, tags, "createdAt", "startedAt", "finishedAt")
         SELECT gen_random_uuid(), (CASE WHEN i % 10 = 0 THEN 'failed' ELSE 'succeeded' END)::"BuildStatus", 'https://git.example/app.git', 'main',
                md5(i::text) || md5((i + 1)::text), ARRAY['linux/amd64', 'linux/arm64'], ARRAY['latest'],
                now() - make_interval(mins => i), now() - make_interval(mins => i), now() - make_interval(mins => i) + interval '40 seconds'
           FROM generate_series(1, $1) AS i
         RETURNING id, status)
       INSERT INTO "Task" (id, "buildId", platform, status, attempts)
       SELECT gen_random_uuid(), b.id, p, (CASE WHEN b.status = 'failed' AND p = 'linux/arm64' THEN 'failed' ELSE 'built' END)::"TaskStatus", 1
         FROM b, unnest(ARRAY['linux/amd64', 'linux/arm64']) AS p`,
      [count],
    );
  } finally {
    await db.end();
  }
}

/**
 * `count` agents' pushed metrics, each registry filled as after a day of builds (every phase,
 * instruction, outcome and cause seen), pushed once with a long interval so they outlive the run.
 */
export async function seedPushedAgents(redis: Redis, prefix: string, count: number): Promise<void> {
  const causes = ['step-failed', 'agent-lost', 'evicted', 'out-of-disk', 'timeout', 'error'];
  for (let a = 0; a < count; a++) {
    const platform = a % 2 ? 'linux/arm64' : 'linux/amd64';
    const m = createAgentMetrics(platform, {
      freeDiskBytes: async () => 5e10,
      stopBelowBytes: async () => 5e8,
      cacheBytes: () => 2e10,
      running: () => a % 3,
      concurrency: 2,
    });
    for (const phase of ['clone', 'pull', 'build', 'step', 'export', 'upload']) for (let i = 0; i < 20; i++) m.phaseSeconds.observe({ platform, phase }, i * 7);
    for (const instruction of ['FROM', 'RUN', 'COPY', 'ENV', 'WORKDIR']) m.stepSeconds.observe({ platform, instruction }, 3);
    for (const outcome of ['built', 'failed', 'requeued', 'canceled']) m.taskSeconds.observe({ platform, outcome }, 90);
    m.tasks.inc({ platform, outcome: 'built', cause: 'none' }, 100);
    for (const cause of causes) m.tasks.inc({ platform, outcome: 'failed', cause }, 2);
    m.queueWaitSeconds.observe({ platform }, 4);
    m.layerCache.inc({ platform, result: 'hit' }, 300);
    m.layerCache.inc({ platform, result: 'miss' }, 100);
    m.gitCache.inc({ platform, result: 'hit' }, 90);
    m.uploadedBytes.inc({ platform }, 1e10);
    m.gcRuns.inc({ platform, trigger: 'periodic' }, 12);
    m.gcReclaimedBytes.inc({ platform }, 1e9);
    const pusher = new MetricsPusher({
      redis,
      prefix,
      role: 'agent',
      id: `bench-agent-${a}`,
      registry: m.registry,
      intervalMs: 600_000,
      include: pushedFamilies(AGENT_PROCESS_PREFIX),
    });
    await pusher.push();
  }
}
