import type { SupplyChain } from '@archway/contract';

/** The parts of the API's answers the CLI reads (the full shapes live in @archway/contract). */
export interface TaskView {
  id: string;
  platform: string;
  status: string;
  agent: string | null;
  error: string | null;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface BuildView {
  id: string;
  status: string;
  source: { url: string; ref: string; commit: string | null };
  image: string | null;
  tags: string[];
  push: boolean;
  trigger: string;
  triggerRef?: string | null;
  error: string | null;
  indexDigest: string | null;
  createdAt: string;
  finishedAt: string | null;
  platforms: string[];
  tasks: TaskView[];
  statusError?: string | null;
  supplyChain?: SupplyChain | null;
}

/** 0 when the build succeeded, 1 when it failed or was canceled. */
export function exitCodeOf(build: BuildView): number {
  return build.status === 'succeeded' ? 0 : 1;
}
