import { Worker } from 'bullmq';
import { JOB_CATALOG, RESOLVE_QUEUE, ResolveJob } from '@archway/contract';
import { context, contextFromCarrier } from '@archway/runtime/tracing';
import type { AppDeps } from '../../deps.ts';
import { DEFAULT_GIT_HOST_CONCURRENCY, gitGate } from '../../infra/git-gate.ts';
import { resolveTurns } from '../../infra/turns.ts';
import { resolveBuild } from './resolve-build.ts';

/** ARCHWAY_RESOLVE_CONCURRENCY, ARCHWAY_RESOLVE_HOST_CONCURRENCY defaults. */
export const DEFAULT_RESOLVE_CONCURRENCY = 16;
export const DEFAULT_RESOLVE_HOST_CONCURRENCY = DEFAULT_GIT_HOST_CONCURRENCY;

export interface ResolverOptions {
  /** Builds resolved at once by this API process. */
  concurrency?: number;
  /** Distinct git calls at once per git host (identical ones are joined: infra/git-gate.ts). */
  hostConcurrency?: number;
  log?: { warn(obj: object, msg?: string): void };
}

export interface Resolver {
  close(): Promise<void>;
}

/**
 * The resolver in the API process: a BullMQ worker on the `resolve` queue (JOB_CATALOG.resolve)
 * running resolveBuild for each accepted build, bounded overall (`concurrency`) and in distinct git
 * calls per git host (the git gate); each git call has the API's git deadline (deps.gitTimeoutMs).
 * Replicas share the queue.
 */
export function startResolver(deps: AppDeps, opts: ResolverOptions = {}): Resolver {
  gitGate.configure(opts.hostConcurrency ?? DEFAULT_RESOLVE_HOST_CONCURRENCY);
  const worker = new Worker(
    RESOLVE_QUEUE,
    async (job) => {
      const { buildId, trace } = ResolveJob.parse(job.data);
      const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? JOB_CATALOG.resolve.attempts);
      // Within the accepting request's trace: the flow's span stays a child of the request's.
      return context.with(contextFromCarrier(trace), () => resolveTurns.run(() => resolveBuild(deps, buildId, { lastAttempt })));
    },
    {
      connection: deps.redis.duplicate({ maxRetriesPerRequest: null, enableOfflineQueue: true, connectionName: 'archway-resolver' }),
      prefix: deps.prefix,
      concurrency: opts.concurrency ?? DEFAULT_RESOLVE_CONCURRENCY,
    },
  );
  worker.on('error', (err) => opts.log?.warn({ err: err.message }, 'resolver worker error'));
  worker.on('failed', (job, err) => opts.log?.warn({ build: job?.data?.buildId, err: err.message }, 'resolver: attempt failed; retrying'));
  return {
    async close() {
      await worker.close();
    },
  };
}
