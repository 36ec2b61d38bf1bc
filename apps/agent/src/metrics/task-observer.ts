import type { AttemptCause, PhaseKind } from '@archway/contract';
import { archwayTracer, type Context, ROOT_CONTEXT, type Span, SpanStatusCode, trace } from '@archway/runtime/tracing';
import type { TaskObserver, TaskOutcome } from '../report/reporter.ts';
import type { AgentMetrics } from './agent-metrics.ts';

/** Containerfile instructions, for the `instruction` label; anything else counts as `other`. */
const INSTRUCTIONS = new Set([
  'FROM',
  'RUN',
  'COPY',
  'ADD',
  'ENV',
  'ARG',
  'WORKDIR',
  'USER',
  'LABEL',
  'EXPOSE',
  'VOLUME',
  'ENTRYPOINT',
  'CMD',
  'SHELL',
  'HEALTHCHECK',
  'STOPSIGNAL',
  'ONBUILD',
]);

/** `step 4/5: RUN make` → `RUN`. */
export function stepInstruction(phaseName: string): string {
  const word = /:\s*([A-Za-z]+)/.exec(phaseName)?.[1]?.toUpperCase();
  return word && INSTRUCTIONS.has(word) ? word : 'other';
}

interface OpenPhase {
  kind: PhaseKind;
  started: number;
  span: Span;
}

/**
 * Turns one attempt's reported phases and outcome into metrics and spans: a span per phase,
 * nested as the phases are (steps inside `build`), under the attempt's `task` span.
 */
export class TaskMetricsObserver implements TaskObserver {
  private readonly open = new Map<string, OpenPhase>();
  private readonly stack: string[] = [];
  private readonly started = Date.now();
  readonly span: Span;

  constructor(
    private readonly metrics: AgentMetrics,
    parent: Context,
    attributes: Record<string, string | number>,
  ) {
    this.span = archwayTracer().startSpan('agent.task', { attributes }, parent);
  }

  private get platform(): string {
    return this.metrics.platform;
  }

  phaseStarted(name: string, kind: PhaseKind): void {
    const parentName = this.stack.at(-1);
    const parentSpan = (parentName && this.open.get(parentName)?.span) || this.span;
    const span = archwayTracer().startSpan(`agent.${kind}`, { attributes: { 'archway.phase': name } }, trace.setSpan(ROOT_CONTEXT, parentSpan));
    this.open.set(name, { kind, started: performance.now(), span });
    this.stack.push(name);
  }

  phaseEnded(name: string, cached?: boolean): void {
    const phase = this.open.get(name);
    if (!phase) return;
    this.open.delete(name);
    this.stack.splice(this.stack.lastIndexOf(name), 1);
    const seconds = (performance.now() - phase.started) / 1000;
    this.metrics.phaseSeconds.observe({ platform: this.platform, phase: phase.kind }, seconds);
    if (phase.kind === 'step' && cached !== undefined) {
      this.metrics.stepSeconds.observe({ platform: this.platform, instruction: stepInstruction(name) }, seconds);
      this.metrics.layerCache.inc({ platform: this.platform, result: cached ? 'hit' : 'miss' });
    }
    if (cached !== undefined) phase.span.setAttribute('archway.cached', cached);
    phase.span.end();
  }

  gitCache(hit: boolean): void {
    this.metrics.gitCache.inc({ platform: this.platform, result: hit ? 'hit' : 'miss' });
  }

  uploaded(bytes: number): void {
    this.metrics.uploadedBytes.inc({ platform: this.platform }, bytes);
  }

  ended(outcome: TaskOutcome, cause?: AttemptCause): void {
    this.metrics.tasks.inc({ platform: this.platform, outcome, cause: cause ?? 'none' });
    this.metrics.taskSeconds.observe({ platform: this.platform, outcome }, (Date.now() - this.started) / 1000);
    this.span.setAttribute('archway.outcome', outcome);
    if (outcome === 'failed') this.span.setStatus({ code: SpanStatusCode.ERROR, message: cause ?? 'error' });
  }

  /** Ends the attempt's span and any phase span left open. */
  end(): void {
    for (const phase of this.open.values()) phase.span.end();
    this.open.clear();
    this.span.end();
  }
}
