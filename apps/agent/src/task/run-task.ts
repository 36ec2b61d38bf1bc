import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { objectKeys, type BuildJob, type BuildResult, type PhaseKind } from '@archway/contract';
import { redisKeys } from '@archway/contract';
import { endLog, maskUrlCredentials, type ObjectStore } from '@archway/runtime';
import type { DiskGuard } from '../disk/guard.ts';
import type { AgentConfig } from '../env.ts';
import type { Logger } from '../log.ts';
import { LogSink } from '../report/log-sink.ts';
import { TaskReporter, type TaskObserver } from '../report/reporter.ts';
import { formatBytes, formatDuration, resolveSize } from '@archway/contract';
import { diskSpace } from '../disk/space.ts';
import { CachePushFailed, runBuild } from './build.ts';
import { removeAllContainers, type BuildahSettings } from './buildah.ts';
import { cloneCommit } from './clone.ts';
import { ABORT, finalFailure, retryableFailure, TaskCanceled, TaskFailure, TaskLost, TaskRequeue, throwIfCanceled } from './errors.ts';
import { exportImage } from './export.ts';
import { resolveBuildPaths } from './paths.ts';
import { FromCollector } from './sbom/base-images.ts';
import { collectSupply } from './sbom/collect.ts';
import { createRedactor, type Redactor } from './redact.ts';
import { openSecrets, removeSecretFiles, writeSecretFiles } from './secrets.ts';
import { prepareBuildahAuth } from './registry-auth.ts';
import { probeCacheRegistry, remoteCacheFor, type RemoteCache } from './remote-cache.ts';
import { uploadFile } from './upload.ts';
import { createWorkDir, removeWorkDir, type WorkDir } from './workdir.ts';

export interface TaskContext {
  config: AgentConfig;
  /** For events and log lines (not the worker's blocking connection). */
  redis: Redis;
  store: ObjectStore;
  signal: AbortSignal;
  /** Aborts this task with one of ABORT's reasons (timeout, out of disk). */
  abort: (reason: string) => void;
  /** 1-based, unique per task across retries, requeues and lost agents. */
  attempt: number;
  /** No retry follows a retryable failure of this attempt (the job's attempts are used up). */
  lastAttempt: boolean;
  log: Logger;
  disk: DiskGuard;
  /** True when no other task of this agent uses the platform's buildah storage right now. */
  aloneOnStorage: () => boolean;
  /** Whether this attempt still holds the job (its lock), checked before reporting it built. */
  ownsJob?: () => Promise<boolean>;
  /** Metrics and spans of this attempt (apps/agent/src/metrics). */
  observer?: TaskObserver;
}

/** Abort reason used when the agent is forced to stop: the task is requeued, it is not a cancel. */
export const SHUTDOWN = ABORT.shutdown;

const BUILD_ARG_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * One attempt of one platform build: disk check → clone → build (steps) → export → upload,
 * reporting phases, log lines and the outcome. Returns the BuildResult; throws TaskFailure,
 * TaskCanceled or TaskRequeue (after reporting them) or any other error (reported as retryable).
 */
export async function runBuildTask(job: BuildJob, ctx: TaskContext): Promise<BuildResult> {
  const { config, redis } = ctx;
  const prefix = config.queuePrefix;
  let redact: Redactor = (t) => t;
  const reporter = new TaskReporter({
    redis,
    prefix,
    buildId: job.buildId,
    taskId: job.taskId,
    attempt: ctx.attempt,
    redact: (t) => redact(t),
    ...(ctx.observer ? { observer: ctx.observer } : {}),
  });

  if ((ctx.signal.aborted && ctx.signal.reason === ABORT.canceled) || (await redis.sismember(redisKeys(prefix).canceled, job.taskId))) {
    await reporter.canceled();
    await endLog(redis, prefix, job.taskId, ctx.attempt);
    throw new TaskCanceled();
  }

  const space = await ctx.disk.beforeTask(ctx.aloneOnStorage());
  if (!space.ok) {
    // Never start a build that would run out of space halfway: give it back for another agent.
    await reporter.requeued(config.agentId, space.reason, 'out-of-disk');
    await endLog(redis, prefix, job.taskId, ctx.attempt);
    throw new TaskRequeue(space.reason, 'out-of-disk');
  }

  const work = await createWorkDir(config.dataDir, job.taskId, ctx.attempt);
  const settings: BuildahSettings = {
    buildah: config.buildah,
    dataDir: config.dataDir,
    platform: config.platform,
    isolation: config.isolation,
    pidFile: work.pidFile,
    tmpDir: work.tmp,
    pull: config.pull,
    ...(config.registriesConf ? { registriesConf: config.registriesConf } : {}),
  };
  const sink = new LogSink({
    redis,
    prefix,
    taskId: job.taskId,
    attempt: ctx.attempt,
    filePath: work.log,
    redact: (l) => redact(l),
    liveLimit: config.liveLogLimit,
    onFlushError: (err) => ctx.log('log.flush-failed', { task: job.taskId, error: (err as Error).message }, 'warn'),
  });
  const line = (l: string) => sink.write(l);

  const timeoutMs = job.timeoutMs ?? config.buildTimeoutMs;
  const timer = setTimeout(() => ctx.abort(ABORT.timeout), timeoutMs);
  timer.unref();
  let lowDisk = '';
  const unwatch = ctx.disk.watch((free, limit) => {
    lowDisk = `free space on ${config.dataDir} fell to ${formatBytes(free)}, below ARCHWAY_AGENT_STOP_FREE_SPACE (${formatBytes(limit)})`;
    ctx.abort(ABORT.outOfDisk);
  });
  const current = { step: undefined as string | undefined };

  try {
    await reporter.started(config.agentId);
    await line(
      `archway: agent ${config.agentId} building ${job.platform} (attempt ${ctx.attempt}${ctx.lastAttempt ? ', last' : ''}; ${formatBytes(space.freeBytes)} free; time limit ${formatDuration(timeoutMs)})`,
    );
    const secrets = openSecrets(job, config.secretKey);
    redact = createRedactor(secrets.map((s) => s.value));
    const result = await build(job, ctx, settings, work, reporter, line, secrets, current);
    await reporter.endOpenPhases();
    await line(`archway: built ${result.manifestDigest}, archive ${result.archiveSize} bytes`);
    await sink.close();
    await checkOwnership(job, ctx);
    await uploadLog(job, ctx, work);
    await reporter.built(result);
    return result;
  } catch (caught) {
    const err = explainAbort(caught, job, ctx, { timeoutMs, lowDisk, step: current.step });
    // The message also becomes BullMQ's failedReason and the agent's log line: mask secrets there too.
    if (err instanceof Error) err.message = redact(err.message);
    if (!(err instanceof TaskLost)) await reportFailure(err, job, ctx, settings, work, reporter, sink);
    throw err;
  } finally {
    clearTimeout(timer);
    unwatch();
    await removeSecretFiles(work.secrets).catch(() => {});
    await sink.close().catch(() => {});
    await endLog(redis, prefix, job.taskId, ctx.attempt).catch(() => {});
    await removeWorkDir(work).catch((err) => ctx.log('workdir.remove-failed', { task: job.taskId, error: (err as Error).message }, 'warn'));
  }
}

/** An aborted signal says why the task stopped; the error thrown at that moment does not. */
function explainAbort(err: unknown, job: BuildJob, ctx: TaskContext, o: { timeoutMs: number; lowDisk: string; step?: string }): unknown {
  if (!ctx.signal.aborted) return err;
  const where = o.step ? ` during ${o.step}` : '';
  switch (ctx.signal.reason) {
    case ABORT.shutdown:
      return new TaskRequeue(`${job.platform}: agent ${ctx.config.agentId} was shut down${where}; the task goes back to the queue`, 'evicted');
    case ABORT.timeout:
      return finalFailure(`${job.platform}: the build exceeded its time limit of ${formatDuration(o.timeoutMs)}${where} and was stopped`, {
        attemptCause: 'timeout',
        ...(o.step ? { step: o.step } : {}),
      });
    case ABORT.outOfDisk:
      return retryableFailure(`${job.platform}: out of disk on ${ctx.config.agentId}: ${o.lowDisk}; the build was stopped${where}`, err, 'out-of-disk');
    default:
      return err instanceof TaskCanceled ? err : new TaskCanceled();
  }
}

async function build(
  job: BuildJob,
  ctx: TaskContext,
  settings: BuildahSettings,
  work: WorkDir,
  reporter: TaskReporter,
  line: (l: string) => Promise<void>,
  secrets: ReturnType<typeof openSecrets>,
  current: { step: string | undefined },
): Promise<BuildResult> {
  const { signal } = ctx;
  const startedOn = new Date().toISOString();
  const froms = new FromCollector();
  const phase = async <T>(name: string, kind: PhaseKind, fn: () => Promise<T>): Promise<T> => {
    throwIfCanceled(signal);
    const used = await reporter.phaseStarted(name, kind);
    const value = await fn();
    await reporter.phaseEnded(used);
    return value;
  };

  if (job.platform !== ctx.config.platform) {
    // The queue name is per platform, so this only happens with a hand-made job.
    throw finalFailure(`task is for ${job.platform} but this agent builds ${ctx.config.platform}`);
  }
  for (const name of Object.keys(job.buildArgs)) {
    if (!BUILD_ARG_NAME.test(name)) throw finalFailure(`invalid build arg name "${name}"`);
  }

  const cacheMaxBytes = resolveSize(ctx.config.gitCacheSize, (await diskSpace(ctx.config.dataDir)).total);
  await phase('clone', 'clone', () =>
    cloneCommit({
      git: ctx.config.git,
      url: job.source.url,
      ref: job.source.ref,
      commit: job.source.commit,
      dir: work.checkout,
      cacheDir: join(ctx.config.dataDir, 'git'),
      cacheMaxBytes,
      signal,
      onLine: line,
      onCache: (hit) => ctx.observer?.gitCache(hit),
    }),
  );
  const paths = await resolveBuildPaths(work.checkout, job.context, job.containerfile);
  await line(`archway: building ${paths.containerfileRel}${job.target ? ` up to stage ${job.target}` : ''} with context ${job.context}`);

  const secretFiles = await writeSecretFiles(work.secrets, secrets);
  if (secretFiles.length > 0) await line(`archway: build secrets: ${secrets.map((s) => s.id).join(', ')} (values masked in this log)`);
  const cacheNote = async (message: string) => {
    // Once per build: in the log, as a phase of the timeline, and in the agent's own log.
    await line(`archway: ${message}`);
    await reporter.phaseEnded(await reporter.phaseStarted('remote cache unavailable', 'cache'));
    ctx.log('cache.remote-unavailable', { task: job.taskId, message }, 'warn');
  };
  const cache = await openRemoteCache(job, ctx, line, cacheNote);
  settings.auth = await prepareBuildahAuth(ctx.config, work.root, cache?.repo);
  const imageId = await phase('build', 'build', async () => {
    try {
      const runOnce = (c: RemoteCache | undefined) =>
        runBuild({
          settings,
          spec: {
            containerfile: paths.containerfile,
            contextDir: paths.contextDir,
            buildArgs: job.buildArgs,
            target: job.target,
            iidFile: work.iid,
            secrets: secretFiles,
            cache: c,
          },
          signal,
          reporter,
          log: (l) => {
            froms.feed(l);
            return line(l);
          },
          outputFile: work.buildOutput,
          onStep: (name) => void (current.step = name),
        });
      let id: string;
      try {
        id = await runOnce(cache);
      } catch (err) {
        if (!(err instanceof CachePushFailed) || !cache) throw err;
        // The steps built so far are in the local cache: the second run only does what is left.
        await cacheNote(`remote cache ${cache.repo} refused a push (${err.detail}); building on without writing it`);
        id = await runOnce({ ...cache, write: false });
      }
      current.step = undefined;
      return id;
    } finally {
      // The secrets are needed by RUN steps only: gone before the image is even exported.
      await removeSecretFiles(work.secrets);
    }
  });
  await ctx.disk.touchBuilt(imageId).catch((err: Error) => ctx.log('cache.touch-failed', { error: err.message }, 'warn'));
  const { manifestDigest, layoutDigest, baseImages } = await phase('export', 'export', () =>
    exportImage({ settings, imageId, archivePath: work.archive, digestFile: work.digest, signal, log: line }),
  );
  // The SBOM is read from the archive just written (docs/supply-chain.md) while the archive uploads:
  // both only read the file, and the task is built when both are done. It never fails the build.
  // When the upload fails (or the job was lost) the SBOM is stopped and waited for before the
  // attempt ends: its work directory goes next, and a late SBOM must not overwrite the retry's.
  const stopSbom = new AbortController();
  const supplying = collectSupply({
    job,
    store: ctx.store,
    settings,
    archivePath: work.archive,
    scanner: ctx.config.sbomScanner,
    fromRefs: froms.refs,
    agent: ctx.config.agentId,
    attempt: ctx.attempt,
    startedOn,
    signal: AbortSignal.any([signal, stopSbom.signal]),
    log: line,
  }).catch(async (err: Error) => {
    if (signal.aborted) throw err;
    if (stopSbom.signal.aborted) return undefined;
    await line(`archway: warning: no SBOM: ${err.message}`);
    return undefined;
  });
  const archiveKey = objectKeys.archive(job.buildId, job.platform, job.image);
  let put: Awaited<ReturnType<typeof uploadFile>>;
  try {
    // The key is the task's, not the attempt's: an attempt that lost the job must not overwrite the archive of the one that took over.
    await checkOwnership(job, ctx);
    put = await phase('upload', 'upload', () => uploadFile(ctx.store, archiveKey, work.archive, signal));
  } catch (err) {
    stopSbom.abort();
    await supplying.catch(() => {});
    throw err;
  }
  const supply = await supplying;
  ctx.observer?.uploaded(put.size);
  return {
    taskId: job.taskId,
    platform: job.platform,
    archiveKey,
    archiveSize: put.size,
    archiveDigest: put.digest,
    archiveLayoutDigest: layoutDigest,
    manifestDigest,
    baseImages,
    ...(supply ? { supply } : {}),
  };
}

/** The job's shared cache on this agent, if the registry answers; says once why not. */
async function openRemoteCache(
  job: BuildJob,
  ctx: TaskContext,
  line: (l: string) => Promise<void>,
  note: (message: string) => Promise<void>,
): Promise<RemoteCache | undefined> {
  const cache = remoteCacheFor(job, ctx.config.cacheRepo, ctx.config.platform, ctx.config.cacheTtl);
  if (!cache) return undefined;
  const down = await probeCacheRegistry(cache.repo);
  if (down) {
    await note(`remote cache ${cache.repo} unavailable: ${down}; building with the local cache only`);
    return undefined;
  }
  await line(`archway: remote cache ${cache.repo} (${cache.write ? 'read and write' : 'read only: this build never writes it'})`);
  return cache;
}

/** Throws TaskLost when another attempt holds the job now (this one's lock expired). */
async function checkOwnership(job: BuildJob, ctx: TaskContext): Promise<void> {
  if (ctx.ownsJob && !(await ctx.ownsJob())) {
    throw new TaskLost(
      `${job.platform}: agent ${ctx.config.agentId} lost the job's lock during attempt ${ctx.attempt} (Redis out of reach longer than ARCHWAY_AGENT_LOCK_DURATION); another attempt builds it`,
    );
  }
}

async function uploadLog(job: BuildJob, ctx: TaskContext, work: WorkDir): Promise<void> {
  try {
    await uploadFile(ctx.store, objectKeys.log(job.buildId, job.platform, job.image), work.log);
  } catch (err) {
    // The archive is what matters; a missing full log is reported but does not fail the build.
    ctx.log('log.upload-failed', { task: job.taskId, error: (err as Error).message }, 'warn');
  }
}

async function reportFailure(
  err: unknown,
  job: BuildJob,
  ctx: TaskContext,
  settings: BuildahSettings,
  work: WorkDir,
  reporter: TaskReporter,
  sink: LogSink,
): Promise<void> {
  // Each step is best effort: the outcome event matters most, so one hiccup must not skip it.
  const attempt = async (what: string, fn: () => Promise<unknown>) => {
    try {
      await fn();
    } catch (e) {
      ctx.log('task.report-failed', { task: job.taskId, step: what, error: (e as Error).message }, 'error');
    }
  };
  await attempt('end phases', () => reporter.endOpenPhases());
  // A build killed mid-step can leave its working container (and its mount) behind. Other
  // builds' containers are indistinguishable from it, so with company it waits for idle.
  if (ctx.signal.aborted) {
    if (ctx.aloneOnStorage()) await attempt('remove containers', () => removeAllContainers(settings));
    else ctx.disk.containersLeft = true;
  }
  if (err instanceof TaskCanceled) {
    await sink.write('archway: canceled');
    await attempt('close log', () => sink.close());
    await uploadLog(job, ctx, work);
    await attempt('report', () => reporter.canceled());
    return;
  }
  if (err instanceof TaskRequeue) {
    await sink.write(`archway: ${err.message}`);
    await attempt('close log', () => sink.close());
    await uploadLog(job, ctx, work);
    await attempt('report', () => reporter.requeued(ctx.config.agentId, err.message, err.attemptCause));
    return;
  }
  const f = err instanceof TaskFailure ? err : undefined;
  const reason = f ? f.message : `${job.platform}: ${maskUrlCredentials((err as Error)?.message ?? String(err))}`;
  const final = (f ? !f.retryable : false) || ctx.lastAttempt;
  await sink.write(`archway: failed: ${reason}${final ? '' : ' (will be retried)'}`);
  await attempt('close log', () => sink.close());
  await uploadLog(job, ctx, work);
  await attempt('report', () => reporter.failed(reason, final, { step: f?.step, exitCode: f?.exitCode, cause: f?.attemptCause ?? 'error' }));
}
