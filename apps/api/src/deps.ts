import type { Redis } from 'ioredis';
import type { ObjectStore } from '@archway/runtime';
import type { PrismaClient } from './infra/db.ts';
import type { Queues } from './infra/queue/queues.ts';
import type { SecretBox } from './infra/secrets/secret-box.ts';
import type { ApiMetrics } from './metrics/api-metrics.ts';

/** What the API's routes need; main.ts builds it from the environment, tests from real services. */
export interface AppDeps {
  prisma: PrismaClient;
  /** Shared fail-fast client for plain commands. Blocking readers get their own connections. */
  redis: Redis;
  queues: Queues;
  /** Key and queue prefix (ARCHWAY_QUEUE_PREFIX). */
  prefix: string;
  objectStore: ObjectStore;
  /** Base URL of the API and dashboard, without trailing slash. */
  publicUrl: string;
  /** Largest request body under /api/v1, bytes. */
  bodyLimit: number;
  /** Deadline of the git calls that answer a request: ls-remote, reading .archway.yaml (default GIT_TIMEOUT_MS, 20 s). */
  gitTimeoutMs?: number;
  /** Interval of SSE heartbeat comments (default 15 s). */
  heartbeatMs?: number;
  /** Seals webhook secrets and forge tokens at rest (secrets/); absent in tests: a random key per app. */
  secretBox?: SecretBox;
  /** Largest webhook body under /hooks, bytes (ARCHWAY_HOOK_BODY_LIMIT, default 5 MiB). */
  hookBodyLimit?: number;
  /** The agents' key (ARCHWAY_AGENT_SECRET_KEY[_FILE]) that seals repository build secrets per task. */
  agentSecretKey?: Buffer;
  /** Attempts of each platform's build job (ARCHWAY_BUILD_ATTEMPTS, default 2). */
  buildAttempts?: number;
  /** ARCHWAY_LAYER_CACHE: repositories without their own setting use the shared layer cache. */
  layerCache?: boolean;
  /** How long a cancel waits for the recorder to apply it before answering 202 (default 10 s). */
  cancelWaitMs?: number;
  /** file:// and private-address clone URLs allowed (ARCHWAY_ALLOW_LOCAL_SOURCES; default false). */
  allowLocalSources?: boolean;
  /** Authentication failures one client address may make per window before 429 (ARCHWAY_AUTH_FAILURE_LIMIT, 0: off). */
  authFailureLimit?: number;
  /** That window, ms (ARCHWAY_AUTH_FAILURE_WINDOW). */
  authFailureWindowMs?: number;
  /** How long a webhook event's content (repo, ref, commit) is remembered to refuse replays, ms (ARCHWAY_HOOK_REPLAY_WINDOW, 0: off). */
  hookReplayWindowMs?: number;
  /** The process's metrics registry (docs/observability.md); buildApp makes one when absent. */
  metrics?: ApiMetrics;
}
