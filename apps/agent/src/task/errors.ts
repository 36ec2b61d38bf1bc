import type { AttemptCause } from '@archway/contract';

/**
 * How a task attempt can end badly. The processor maps these onto BullMQ: `TaskFailure` with
 * `retryable: false` and `TaskCanceled` become UnrecoverableError (no retry); anything else,
 * including unexpected errors, is left to BullMQ's attempts/backoff.
 */
export class TaskFailure extends Error {
  readonly retryable: boolean;
  /** Name of the failing step phase, e.g. `step 4/5: RUN make`. */
  readonly step?: string;
  readonly exitCode?: number;
  /** For the task's history; `step-failed` when a step is named, else `error` unless set. */
  readonly attemptCause: AttemptCause;

  constructor(reason: string, opts: { retryable: boolean; step?: string; exitCode?: number; cause?: unknown; attemptCause?: AttemptCause }) {
    super(reason, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'TaskFailure';
    this.retryable = opts.retryable;
    this.step = opts.step;
    this.exitCode = opts.exitCode;
    this.attemptCause = opts.attemptCause ?? (opts.step ? 'step-failed' : 'error');
  }
}

/** A user error (bad commit, bad Containerfile, failing step): retrying cannot help. */
export function finalFailure(reason: string, extra: { step?: string; exitCode?: number; attemptCause?: AttemptCause } = {}): TaskFailure {
  return new TaskFailure(reason, { retryable: false, ...extra });
}

/** Infrastructure trouble (network, storage, killed process): another attempt may succeed. */
export function retryableFailure(reason: string, cause?: unknown, attemptCause?: AttemptCause): TaskFailure {
  return new TaskFailure(reason, { retryable: true, cause, attemptCause });
}

/**
 * The attempt stops and its job goes back to the queue without using up an attempt (the agent is
 * shutting down, or lacks disk space): it was not the build's fault.
 */
export class TaskRequeue extends Error {
  constructor(
    reason: string,
    readonly attemptCause: 'evicted' | 'out-of-disk',
  ) {
    super(reason);
    this.name = 'TaskRequeue';
  }
}

/** Reasons the agent itself aborts a task's signal with (the API's cancel uses `canceled`). */
export const ABORT = { canceled: 'canceled', shutdown: 'shutdown', timeout: 'timeout', outOfDisk: 'out-of-disk' } as const;

export class TaskCanceled extends Error {
  constructor() {
    super('canceled');
    this.name = 'TaskCanceled';
  }
}

/** Throws TaskCanceled when the signal fired; call between phases. */
export function throwIfCanceled(signal: AbortSignal): void {
  if (signal.aborted) throw new TaskCanceled();
}

/**
 * This agent lost the job's lock before reporting the task built (Redis was out of reach longer
 * than the lock lasts): the stalled-job check gave the job to another attempt, which reports it.
 * Nothing is reported for this one, so that its result never replaces the new attempt's.
 */
export class TaskLost extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TaskLost';
  }
}
