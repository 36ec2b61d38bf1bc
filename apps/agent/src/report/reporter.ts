import type { Redis } from 'ioredis';
import type { AttemptCause, BuildResult, PhaseKind } from '@archway/contract';
import { nowIso, publishEvent } from '@archway/runtime';

export interface ReporterContext {
  redis: Redis;
  prefix: string;
  buildId: string;
  taskId: string;
  attempt: number;
  /** Masks build secrets in reasons and phase names. */
  redact?: (text: string) => string;
  /** Sees every phase and the outcome (metrics, spans); never throws. */
  observer?: TaskObserver;
}

export type TaskOutcome = 'built' | 'failed' | 'requeued' | 'canceled';

/** What metrics and tracing learn of an attempt, as the reporter publishes it. */
export interface TaskObserver {
  phaseStarted(name: string, kind: PhaseKind): void;
  phaseEnded(name: string, cached?: boolean): void;
  gitCache(hit: boolean): void;
  uploaded(bytes: number): void;
  ended(outcome: TaskOutcome, cause?: AttemptCause): void;
}

/**
 * Publishes the events of one task attempt on the events stream. Phase names are unique within an
 * attempt (the recorder matches `phase.ended` to `phase.started` by name); open phases are closed
 * by `endOpenPhases` so a failed attempt still shows where its time went.
 */
export class TaskReporter {
  private readonly open: string[] = [];
  private readonly used = new Set<string>();

  constructor(private readonly ctx: ReporterContext) {}

  private clean(text: string): string {
    return this.ctx.redact ? this.ctx.redact(text) : text;
  }

  private base() {
    return { buildId: this.ctx.buildId, at: nowIso(), taskId: this.ctx.taskId, attempt: this.ctx.attempt };
  }

  async started(agent: string): Promise<void> {
    await publishEvent(this.ctx.redis, this.ctx.prefix, { type: 'task.started', ...this.base(), agent });
  }

  /** Returns the name actually used (suffixed when the same name already occurred). */
  async phaseStarted(rawName: string, kind: PhaseKind, step?: number): Promise<string> {
    const name = this.clean(rawName);
    let unique = name;
    for (let i = 2; this.used.has(unique); i++) unique = `${name} (${i})`;
    this.used.add(unique);
    this.open.push(unique);
    this.ctx.observer?.phaseStarted(unique, kind);
    await publishEvent(this.ctx.redis, this.ctx.prefix, {
      type: 'phase.started',
      ...this.base(),
      name: unique,
      kind,
      ...(step === undefined ? {} : { step }),
    });
    return unique;
  }

  async phaseEnded(name: string, cached?: boolean): Promise<void> {
    const i = this.open.indexOf(name);
    if (i === -1) return;
    this.open.splice(i, 1);
    this.ctx.observer?.phaseEnded(name, cached);
    await publishEvent(this.ctx.redis, this.ctx.prefix, {
      type: 'phase.ended',
      ...this.base(),
      name,
      ...(cached === undefined ? {} : { cached }),
    });
  }

  /** Ends every open phase, innermost first. */
  async endOpenPhases(): Promise<void> {
    for (const name of [...this.open].reverse()) await this.phaseEnded(name);
  }

  async built(result: BuildResult): Promise<void> {
    this.ctx.observer?.ended('built');
    await publishEvent(this.ctx.redis, this.ctx.prefix, { type: 'task.built', ...this.base(), result });
  }

  async failed(reason: string, final: boolean, extra: { step?: string; exitCode?: number; cause?: AttemptCause } = {}): Promise<void> {
    this.ctx.observer?.ended('failed', extra.cause ?? 'error');
    await publishEvent(this.ctx.redis, this.ctx.prefix, {
      type: 'task.failed',
      ...this.base(),
      reason: this.clean(reason),
      final,
      ...(extra.step === undefined ? {} : { step: this.clean(extra.step) }),
      ...(extra.exitCode === undefined ? {} : { exitCode: extra.exitCode }),
      ...(extra.cause === undefined ? {} : { cause: extra.cause }),
    });
  }

  async requeued(agent: string, reason: string, cause: AttemptCause): Promise<void> {
    this.ctx.observer?.ended('requeued', cause);
    await publishEvent(this.ctx.redis, this.ctx.prefix, { type: 'task.requeued', ...this.base(), agent, reason: this.clean(reason), cause });
  }

  async canceled(): Promise<void> {
    this.ctx.observer?.ended('canceled');
    await publishEvent(this.ctx.redis, this.ctx.prefix, { type: 'task.canceled', ...this.base() });
  }
}
