import type { AgentInfo } from '@archway/shared';

/** The API adds `lost` for agents whose heartbeat expired (kept in Postgres, gone from Redis). */
export type AgentState = AgentInfo['state'] | 'lost';

export interface AgentView extends Omit<AgentInfo, 'state' | 'at' | 'currentTasks' | 'concurrency'> {
  state: AgentState;
  currentTasks?: string[];
  concurrency?: number;
  /** Heartbeat time; `at` in AgentInfo, `lastHeartbeat` for agents known only from Postgres. */
  at?: string;
  lastHeartbeat?: string;
}

export interface QueueView {
  platform: string;
  queue?: string;
  waiting: number;
  active: number;
  /** Milliseconds the oldest waiting job has waited, null when the queue is empty. */
  oldestWaitMs: number | null;
}

export interface SessionInfo {
  csrfToken: string;
  name: string;
  expiresAt: string;
}
