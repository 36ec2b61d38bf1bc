// bench/load: stands in for the agents to measure the coordinator's own ceiling. One BullMQ worker
// per platform queue completes each build job at once, without git or buildah: it publishes the
// events a real agent publishes for a successful attempt (task.started, task.built) and returns a
// plausible BuildResult. Builds use push: false, so the merger never reads the archive.
// Env: REDIS_URL, ARCHWAY_QUEUE_PREFIX, SIM_PLATFORMS (comma-separated), SIM_CONCURRENCY.
import { createHash } from 'node:crypto';
import { Worker, type Job } from 'bullmq';
import { BuildJob, buildQueueName, objectKeys, parsePlatform, type BuildResult } from '@archway/contract';
import { connectRedis, nowIso, publishEvent } from '@archway/runtime';

const redisUrl = process.env.REDIS_URL ?? '';
const prefix = process.env.ARCHWAY_QUEUE_PREFIX ?? 'archway';
const platforms = (process.env.SIM_PLATFORMS ?? '').split(',').filter(Boolean);
const concurrency = Number(process.env.SIM_CONCURRENCY ?? 4) || 4;
const sha = (s: string) => `sha256:${createHash('sha256').update(s).digest('hex')}`;

const redis = connectRedis(redisUrl, { maxRetriesPerRequest: null });
async function processJob(job: Job): Promise<BuildResult> {
  const data = BuildJob.parse(job.data);
  const base = { buildId: data.buildId, taskId: data.taskId, attempt: job.attemptsMade + 1 };
  await publishEvent(redis, prefix, { type: 'task.started', ...base, at: nowIso(), agent: `sim-${data.platform.replace(/\//g, '-')}` });
  const result: BuildResult = {
    taskId: data.taskId,
    platform: data.platform,
    archiveKey: objectKeys.archive(data.buildId, data.platform),
    archiveSize: 1024,
    archiveDigest: sha(`archive ${data.taskId}`),
    archiveLayoutDigest: sha(`layout ${data.taskId}`),
    manifestDigest: sha(`manifest ${data.taskId}`),
  };
  await publishEvent(redis, prefix, { type: 'task.built', ...base, at: nowIso(), result });
  return result;
}

const workers = platforms.map(
  (platform) =>
    new Worker(buildQueueName(parsePlatform(platform)), processJob, {
      connection: connectRedis(redisUrl, { maxRetriesPerRequest: null }),
      prefix,
      concurrency,
    }),
);
await Promise.all(workers.map((w) => w.waitUntilReady()));
process.stdout.write('ready\n');
process.once('SIGTERM', () => {
  void Promise.allSettled(workers.map((w) => w.close())).then(() => process.exit(0));
});
