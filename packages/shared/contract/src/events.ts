import { z } from 'zod';
import { AttemptCause, PhaseKind } from './api.ts';
import { BuildResult } from './jobs.ts';
import { Platform } from './platform.ts';
import { SupplyChain } from './supply-chain.ts';

/**
 * Everything agents and the merger report goes through one Redis stream as these events.
 * The API's recorder is the only writer of build state in Postgres; it applies them idempotently
 * (events are delivered at least once and may repeat).
 */
const base = { buildId: z.string(), at: z.string() };

export const BuildEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('task.started'), ...base, taskId: z.string(), agent: z.string(), attempt: z.number().int() }),
  z.object({
    type: z.literal('phase.started'),
    ...base,
    taskId: z.string().nullable(),
    attempt: z.number().int(),
    name: z.string(),
    kind: PhaseKind,
    step: z.number().int().optional(),
  }),
  z.object({
    type: z.literal('phase.ended'),
    ...base,
    taskId: z.string().nullable(),
    attempt: z.number().int(),
    name: z.string(),
    cached: z.boolean().optional(),
  }),
  z.object({ type: z.literal('task.built'), ...base, taskId: z.string(), attempt: z.number().int(), result: BuildResult }),
  z.object({
    type: z.literal('task.failed'),
    ...base,
    taskId: z.string(),
    attempt: z.number().int(),
    reason: z.string(),
    step: z.string().optional(),
    exitCode: z.number().int().optional(),
    /** false: the job will be retried (another attempt follows). */
    final: z.boolean(),
    cause: AttemptCause.optional(),
    /** The agent the attempt ran on, when the event comes from another one (`agent-lost`). */
    agent: z.string().optional(),
  }),
  /**
   * The attempt was interrupted and its job put back in the queue without using up an attempt:
   * the agent was shut down (`evicted`) or lacked disk space (`out-of-disk`). Another agent takes it.
   */
  z.object({
    type: z.literal('task.requeued'),
    ...base,
    taskId: z.string(),
    attempt: z.number().int(),
    agent: z.string(),
    reason: z.string(),
    cause: AttemptCause,
  }),
  z.object({ type: z.literal('task.canceled'), ...base, taskId: z.string(), attempt: z.number().int() }),
  /**
   * A user (or a superseding build) asked to cancel: the API publishes this instead of writing
   * state, and the recorder cancels the build and its open tasks if they are still open.
   */
  z.object({ type: z.literal('build.cancel-requested'), ...base }),
  z.object({ type: z.literal('build.publishing'), ...base }),
  /** With `image`: that image of a build with several was published; the build succeeds once every image was. */
  z.object({
    type: z.literal('build.succeeded'),
    ...base,
    indexDigest: z.string().nullable(),
    image: z.string().optional(),
    supplyChain: SupplyChain.optional(),
  }),
  z.object({ type: z.literal('build.failed'), ...base, reason: z.string() }),
]);
export type BuildEvent = z.infer<typeof BuildEvent>;

/** An agent's heartbeat, refreshed every few seconds under a key with a TTL. */
export const AgentInfo = z.object({
  id: z.string(),
  platform: Platform,
  hostname: z.string(),
  version: z.string(),
  state: z.enum(['idle', 'busy', 'draining']),
  currentTasks: z.array(z.string()),
  concurrency: z.number().int(),
  freeDiskBytes: z.number().nullable(),
  cacheBytes: z.number().nullable(),
  at: z.string(),
  /** Why the agent takes no work right now, e.g. too little free disk. */
  problem: z.string().nullable().optional(),
});
export type AgentInfo = z.infer<typeof AgentInfo>;

/** An agent as `GET /api/v1/agents` lists it: its last heartbeat, or `lost` once the heartbeat expired. */
export const AgentView = AgentInfo.extend({
  /** As stored (lost agents come from the database); an answer shape, not parsed again. */
  platform: z.string(),
  state: z.enum(['idle', 'busy', 'draining', 'lost']),
  /** When the API last saw a heartbeat of this agent. */
  lastHeartbeat: z.string(),
  /** The last task it was seen running (for a lost agent: the task it may have left behind). */
  lastTask: z.string().nullable().optional(),
});
export type AgentView = z.infer<typeof AgentView>;

/** `GET /api/v1/agents`. */
export const AgentList = z.object({ items: z.array(AgentView) });
