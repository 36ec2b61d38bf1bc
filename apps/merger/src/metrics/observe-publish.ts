import { TraceCarrier } from '@archway/contract';
import { contextFromCarrier, inSpan } from '@archway/runtime/tracing';
import type { Job } from 'bullmq';
import type { MergerMetrics } from './merger-metrics.ts';

/**
 * Runs one publish attempt inside the build's trace (the job payload's carrier) and records its
 * duration by outcome. The payload is parsed properly inside `publish`; a bad carrier only means
 * the span starts a trace of its own.
 */
export async function observePublish<T>(metrics: MergerMetrics, job: Job, publish: () => Promise<T>): Promise<T> {
  const carrier = TraceCarrier.safeParse((job.data as { trace?: unknown } | undefined)?.trace);
  const started = performance.now();
  let outcome = 'failed';
  try {
    const result = await inSpan('merger.publish', publish, {
      parent: contextFromCarrier(carrier.success ? carrier.data : undefined),
      attributes: { 'archway.build_id': String(job.id), 'archway.attempt': job.attemptsMade + 1 },
    });
    outcome = 'succeeded';
    return result;
  } catch (err) {
    if ((err as Error).message === 'canceled') outcome = 'canceled';
    throw err;
  } finally {
    metrics.publishSeconds.observe({ outcome }, (performance.now() - started) / 1000);
  }
}
