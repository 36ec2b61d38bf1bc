import { mkdir } from 'node:fs/promises';
import type { Redis } from 'ioredis';
import { normalizePlatform, objectKeys, type BuildJob, type BuildResult, type PhaseKind } from '@archway/shared';
import { endLog, redisKeys, type ObjectStore } from '@archway/shared/node';
import type { AgentConfig } from '../env.ts';
import type { Logger } from '../log.ts';
import { LogSink } from '../report/log-sink.ts';
import { TaskReporter } from '../report/reporter.ts';
import { runBuild } from './build.ts';
import { removeAllContainers, storageDirs, type BuildahSettings } from './buildah.ts';
import { cloneCommit, redactGitUrl } from './clone.ts';
import { finalFailure, retryableFailure, TaskCanceled, TaskFailure, throwIfCanceled } from './errors.ts';
import { exportImage } from './export.ts';
import { resolveBuildPaths } from './paths.ts';
import { uploadFile } from './upload.ts';
import { createWorkDir, removeWorkDir, type WorkDir } from './workdir.ts';

export interface TaskContext {
  config: AgentConfig;
  /** For events and log lines (not the worker's blocking connection). */
  redis: Redis;
  store: ObjectStore;
  signal: AbortSignal;
  /** 1-based: BullMQ's attemptsMade + 1. */
  attempt: number;
  /** BullMQ's `attempts` for the job: no retry after the last one. */
  maxAttempts: number;
  log: Logger;
  /** True when no other task of this agent uses the platform's buildah storage right now. */
  aloneOnStorage: () => boolean;
}

/** Abort reason used when the agent is forced to stop: the attempt fails (retryable), it is not a cancel. */
export const SHUTDOWN = 'shutdown';

const BUILD_ARG_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * One attempt of one platform build: clone → build (steps) → export → upload, reporting phases,
 * log lines and the outcome. Returns the BuildResult; throws TaskFailure / TaskCanceled (after
 * reporting them) or any other error (reported as a retryable failure).
 */
export async function runBuildTask(job: BuildJob, ctx: TaskContext): Promise<BuildResult> {
  const { config, redis } = ctx;
  const prefix = config.queuePrefix;
  const reporter = new TaskReporter({ redis, prefix, buildId: job.buildId, taskId: job.taskId, attempt: ctx.attempt });

  if ((ctx.signal.aborted && ctx.signal.reason !== SHUTDOWN) || (await redis.sismember(redisKeys(prefix).canceled, job.taskId))) {
    await reporter.canceled();
    await endLog(redis, prefix, job.taskId, ctx.attempt);
    throw new TaskCanceled();
  }

  const work = await createWorkDir(config.dataDir, job.taskId, ctx.attempt);
  const settings: BuildahSettings = {
    buildah: config.buildah,
    dataDir: config.dataDir,
    platform: config.platform,
    isolation: config.isolation,
    pidFile: work.pidFile,
  };
  await mkdir(storageDirs(settings).tmp, { recursive: true });
  const sink = new LogSink({
    redis,
    prefix,
    taskId: job.taskId,
    attempt: ctx.attempt,
    filePath: work.log,
    onFlushError: (err) => ctx.log('log.flush-failed', { task: job.taskId, error: (err as Error).message }, 'warn'),
  });
  const line = (l: string) => sink.write(l);

  try {
    await reporter.started(config.agentId);
    await line(`archway: agent ${config.agentId} building ${job.platform} (attempt ${ctx.attempt}/${ctx.maxAttempts})`);
    const result = await build(job, ctx, settings, work, reporter, line);
    await reporter.endOpenPhases();
    await line(`archway: built ${result.manifestDigest}, archive ${result.archiveSize} bytes`);
    await sink.close();
    await uploadLog(job, ctx, work);
    await reporter.built(result);
    return result;
  } catch (caught) {
    const err = ctx.signal.aborted && ctx.signal.reason === SHUTDOWN ? retryableFailure(`${job.platform}: agent ${config.agentId} was stopped during the build`) : caught;
    await reportFailure(err, job, ctx, settings, work, reporter, sink);
    throw err;
  } finally {
    await sink.close().catch(() => {});
    await endLog(redis, prefix, job.taskId, ctx.attempt).catch(() => {});
    await removeWorkDir(work).catch((err) => ctx.log('workdir.remove-failed', { task: job.taskId, error: (err as Error).message }, 'warn'));
  }
}

async function build(
  job: BuildJob,
  ctx: TaskContext,
  settings: BuildahSettings,
  work: WorkDir,
  reporter: TaskReporter,
  line: (l: string) => Promise<void>,
): Promise<BuildResult> {
  const { signal } = ctx;
  const phase = async <T>(name: string, kind: PhaseKind, fn: () => Promise<T>): Promise<T> => {
    throwIfCanceled(signal);
    const used = await reporter.phaseStarted(name, kind);
    const value = await fn();
    await reporter.phaseEnded(used);
    return value;
  };

  if (!samePlatformString(job.platform, ctx.config.platform)) {
    // The queue name is per platform, so this only happens with a hand-made job.
    throw finalFailure(`task is for ${job.platform} but this agent builds ${ctx.config.platform}`);
  }
  for (const name of Object.keys(job.buildArgs)) {
    if (!BUILD_ARG_NAME.test(name)) throw finalFailure(`invalid build arg name "${name}"`);
  }

  await phase('clone', 'clone', () =>
    cloneCommit({ git: ctx.config.git, url: job.source.url, ref: job.source.ref, commit: job.source.commit, dir: work.checkout, signal, onLine: line }),
  );
  const paths = await resolveBuildPaths(work.checkout, job.context, job.containerfile);
  await line(`archway: building ${paths.containerfileRel} with context ${job.context}`);

  const imageId = await phase('build', 'build', () =>
    runBuild({ settings, spec: { containerfile: paths.containerfile, contextDir: paths.contextDir, buildArgs: job.buildArgs, iidFile: work.iid }, signal, reporter, log: line }),
  );
  const { manifestDigest } = await phase('export', 'export', () =>
    exportImage({ settings, imageId, archivePath: work.archive, digestFile: work.digest, signal, log: line }),
  );
  const archiveKey = objectKeys.archive(job.buildId, job.platform);
  const put = await phase('upload', 'upload', () => uploadFile(ctx.store, archiveKey, work.archive, signal));
  return { taskId: job.taskId, platform: job.platform, archiveKey, archiveSize: put.size, archiveDigest: put.digest, manifestDigest };
}

function samePlatformString(a: string, b: string): boolean {
  try {
    return normalizePlatform(a) === normalizePlatform(b);
  } catch {
    return false;
  }
}

async function uploadLog(job: BuildJob, ctx: TaskContext, work: WorkDir): Promise<void> {
  try {
    await uploadFile(ctx.store, objectKeys.log(job.buildId, job.platform), work.log);
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
  const canceled = err instanceof TaskCanceled;
  // Each step is best effort: the outcome event matters most, so one hiccup must not skip it.
  const attempt = async (what: string, fn: () => Promise<unknown>) => {
    try {
      await fn();
    } catch (e) {
      ctx.log('task.report-failed', { task: job.taskId, step: what, error: (e as Error).message }, 'error');
    }
  };
  await attempt('end phases', () => reporter.endOpenPhases());
  if (canceled) {
    await sink.write('archway: canceled');
    // A build killed mid-step can leave its working container behind.
    if (ctx.aloneOnStorage()) await attempt('remove containers', () => removeAllContainers(settings));
    await attempt('close log', () => sink.close());
    await uploadLog(job, ctx, work);
    await attempt('report', () => reporter.canceled());
    return;
  }
  const f = err instanceof TaskFailure ? err : undefined;
  const reason = f ? f.message : `${job.platform}: ${redactGitUrl((err as Error)?.message ?? String(err))}`;
  const final = (f ? !f.retryable : false) || ctx.attempt >= ctx.maxAttempts;
  await sink.write(`archway: failed: ${reason}${final ? '' : ' (will be retried)'}`);
  await attempt('close log', () => sink.close());
  await uploadLog(job, ctx, work);
  await attempt('report', () => reporter.failed(reason, final, { step: f?.step, exitCode: f?.exitCode }));
}
