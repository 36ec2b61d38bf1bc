import type { Redis } from 'ioredis';
import { AgentInfo, type AgentView } from '@archway/contract';
import { redisKeys } from '@archway/contract';
import type { PrismaClient } from '../../infra/db.ts';

/** Live heartbeats, found with SCAN (never KEYS: it would block Redis on a large keyspace). */
export async function liveAgents(redis: Redis, prefix: string): Promise<AgentInfo[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', redisKeys(prefix).agentPattern, 'COUNT', 200);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  if (keys.length === 0) return [];
  const values = await redis.mget(...keys);
  const agents: AgentInfo[] = [];
  for (const v of values) {
    if (!v) continue; // expired between SCAN and MGET
    try {
      agents.push(AgentInfo.parse(JSON.parse(v)));
    } catch {
      // A heartbeat from an incompatible agent version: not listed rather than failing the page.
    }
  }
  return agents;
}

/**
 * Records live agents in Postgres (the durable list behind `lost`): their last heartbeat and the
 * last task they were seen running. Called by every listing and by the reconciler's sweep, so an
 * agent is remembered whether or not anyone listed it while it was alive.
 */
export async function rememberAgents(prisma: PrismaClient, live: AgentInfo[]): Promise<void> {
  for (const a of live) {
    const at = Number.isNaN(Date.parse(a.at)) ? new Date() : new Date(a.at);
    const data = {
      platform: a.platform,
      hostname: a.hostname,
      version: a.version,
      state: a.state,
      lastHeartbeat: at,
      // An idle beat keeps the task it ran last: that is what a lost agent's row should show.
      ...(a.currentTasks[0] ? { lastTask: a.currentTasks[0] } : {}),
    };
    await prisma.agent.upsert({ where: { id: a.id }, create: { id: a.id, ...data }, update: data });
  }
}

/**
 * Every agent remembered: live ones from their heartbeat, the others from Postgres with state
 * `lost` (until the reconciler forgets them, ARCHWAY_AGENT_FORGET_AFTER).
 */
export async function listAgents(deps: { prisma: PrismaClient; redis: Redis; prefix: string }): Promise<AgentView[]> {
  const live = await liveAgents(deps.redis, deps.prefix);
  await rememberAgents(deps.prisma, live);
  const liveIds = new Set(live.map((a) => a.id));
  const rows = await deps.prisma.agent.findMany();
  const lastTask = new Map(rows.map((r) => [r.id, r.lastTask]));
  const views: AgentView[] = [
    ...live.map((a) => ({
      ...a,
      lastHeartbeat: Number.isNaN(Date.parse(a.at)) ? new Date().toISOString() : a.at,
      lastTask: a.currentTasks[0] ?? lastTask.get(a.id) ?? null,
    })),
    ...rows
      .filter((r) => !liveIds.has(r.id))
      .map((r) => ({
        id: r.id,
        platform: r.platform,
        hostname: r.hostname,
        version: r.version,
        state: 'lost' as const,
        currentTasks: [],
        concurrency: 0,
        freeDiskBytes: null,
        cacheBytes: null,
        at: r.lastHeartbeat.toISOString(),
        lastHeartbeat: r.lastHeartbeat.toISOString(),
        lastTask: r.lastTask,
      })),
  ];
  return views.sort((a, b) => a.platform.localeCompare(b.platform) || a.id.localeCompare(b.id));
}
