/**
 * Redis keys outside BullMQ, all under one prefix so that tests (and several installations on one
 * Redis) stay apart. BullMQ queues use the same prefix through its `prefix` option.
 */
export function redisKeys(prefix: string) {
  return {
    /** Stream of BuildEvent JSON, consumed by the API's recorder (consumer group). */
    events: `${prefix}:events`,
    /** Stream of log lines of one task: fields `l` (line) and `a` (attempt); `end` marks the end. */
    log: (taskId: string) => `${prefix}:log:${taskId}`,
    /** Heartbeat of one agent (JSON AgentInfo) with a TTL. */
    agent: (agentId: string) => `${prefix}:agent:${agentId}`,
    agentPattern: `${prefix}:agent:*`,
    /** Pub/sub channel announcing state changes of a build (payload: build id). */
    buildChanged: `${prefix}:build-changed`,
    /** A task id is added here when its build is canceled; agents watch it. */
    canceled: `${prefix}:canceled`,
    /** Pub/sub channel: the API PUBLISHes a task id here after adding it to `canceled`; running agents stop it. */
    cancel: `${prefix}:cancel`,
    /** A dashboard session (JSON, with a TTL), keyed by the sha256 of the session cookie's value. */
    session: (idHash: string) => `${prefix}:session:${idHash}`,
    /** The agent that last built a repository (sha256 of its URL) on a build queue: warm-cache affinity. */
    affinity: (queue: string, repoHash: string) => `${prefix}:affinity:${queue}:${repoHash}`,
    /** A mutual-exclusion lock for a maintenance job (e.g. retention) shared by API replicas. */
    lock: (name: string) => `${prefix}:lock:${name}`,
    /**
     * The API's reconciler: task id → when (ms) it first found the task's job active with its lock
     * expired and its agent's heartbeat gone; the task fails `agent-lost` ARCHWAY_AGENT_LOST_AFTER later.
     */
    lostSince: `${prefix}:reconcile:lost-since`,
    /** The merger's platforms of a build pushed ahead of the publish job (hash platform → JSON, with a TTL). */
    earlyPushes: (buildId: string) => `${prefix}:early-push:${buildId}`,
    /** Authentication failures of one client address in the current window (a counter with a TTL). */
    authFailures: (client: string) => `${prefix}:auth-fail:${client}`,
    /** The delivery id that first asked for one webhook event's content (sha256 digest), with a TTL. */
    hookEvent: (repoId: string, digest: string) => `${prefix}:hook-event:${repoId}:${digest}`,
    /** Metrics an agent or merger pushed (prom-client JSON, with a TTL), exposed by the API's /metrics. */
    pushedMetrics: (role: string, id: string) => `${prefix}:metrics:${role}:${id}`,
    /** Set of the ids that pushed metrics of one role; the API removes ids whose key expired. */
    pushedMetricsIndex: (role: string) => `${prefix}:metrics-index:${role}`,
  };
}
export type RedisKeys = ReturnType<typeof redisKeys>;
