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

  constructor(reason: string, opts: { retryable: boolean; step?: string; exitCode?: number; cause?: unknown }) {
    super(reason, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'TaskFailure';
    this.retryable = opts.retryable;
    this.step = opts.step;
    this.exitCode = opts.exitCode;
  }
}

/** A user error (bad commit, bad Containerfile, failing step): retrying cannot help. */
export function finalFailure(reason: string, extra: { step?: string; exitCode?: number } = {}): TaskFailure {
  return new TaskFailure(reason, { retryable: false, ...extra });
}

/** Infrastructure trouble (network, storage, killed process): another attempt may succeed. */
export function retryableFailure(reason: string, cause?: unknown): TaskFailure {
  return new TaskFailure(reason, { retryable: true, cause });
}

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
