import { Job } from 'bullmq';
import { PUBLISH_QUEUE, buildQueueName, parsePlatform, type AgentInfo } from '@archway/contract';
import { publishEvent } from '@archway/runtime';
import { apiFixture, resolved, waitFor, type ApiFixture } from '../../testing/fixture.ts';
import { startRecorder, type Recorder } from '../recorder/recorder.ts';
import type { ReconcileDeps } from './context.ts';
import type { ReconcilePolicy } from './policy.ts';
import { runSweep } from './sweep.ts';

export { waitFor };

/** Bounds small enough for tests; each test overrides what it exercises. */
export function testPolicy(overrides: Partial<ReconcilePolicy> = {}): ReconcilePolicy {
  return {
    intervalMs: 100,
    graceMs: 0,
    agentLostMs: 0,
    buildTimeoutMs: 3_600_000,
    timeoutGraceMs: 0,
    queueWaitLimitMs: 0,
    forgetAgentsMs: 7 * 86_400_000,
    ...overrides,
  };
}

const quiet = { info() {}, warn() {}, error() {} };

/**
 * The API fixture plus its recorder (the reconciler's events are applied for real). `resolver:
 * false` leaves the resolve queue to the test's own worker.
 */
export async function reconcileFixture(opts: { resolver?: boolean } = {}): Promise<ApiFixture & { recorder: Recorder; deps: ApiFixture['deps'] }> {
  const f = await apiFixture({ allowLocalSources: true }, opts);
  const recorder = startRecorder({ prisma: f.prisma, redis: f.redis, prefix: f.prefix, blockMs: 100 });
  const close = f.close;
  return Object.assign(f, {
    recorder,
    async close() {
      await recorder.close();
      await close();
    },
  });
}

export function sweepDeps(f: ApiFixture, policy: Partial<ReconcilePolicy> = {}): ReconcileDeps {
  return { prisma: f.prisma, redis: f.redis, queues: f.queues, prefix: f.prefix, policy: testPolicy(policy), log: quiet };
}

export const sweep = (f: ApiFixture, policy: Partial<ReconcilePolicy> = {}) => runSweep(sweepDeps(f, policy));

export async function publishJob(f: ApiFixture, buildId: string) {
  return Job.fromId(f.queues.queue(PUBLISH_QUEUE), buildId);
}

export async function buildJob(f: ApiFixture, platform: string, taskId: string) {
  return Job.fromId(f.queues.queue(buildQueueName(parsePlatform(platform))), taskId);
}

/** POSTs one `push: false` build of `platforms` through the API (its flow is queued). */
export async function postBuild(f: ApiFixture, repoUrl: string, platforms: string[]) {
  const res = await f.app.inject({ method: 'POST', url: '/api/v1/builds', headers: f.auth, payload: { source: { url: repoUrl }, push: false, platforms } });
  if (res.statusCode !== 202) throw new Error(`POST /api/v1/builds answered ${res.statusCode}: ${res.body}`);
  return resolved(f, res.json().id as string);
}

/** An agent's start of the build's first task, applied by the recorder: the task is `running`. */
export async function startFirstTask(f: ApiFixture, build: { id: string; tasks: { id: string }[] }, agent: string) {
  const task = build.tasks[0]!;
  await publishEvent(f.redis, f.prefix, { type: 'task.started', buildId: build.id, taskId: task.id, agent, attempt: 1, at: new Date().toISOString() });
  await waitFor(async () => (await f.prisma.task.findUniqueOrThrow({ where: { id: task.id } })).status === 'running', 'task running');
  return task;
}

/** Waits until the recorder applied a final state to the build. */
export async function finalBuild(f: ApiFixture, id: string) {
  return waitFor(
    async () => {
      const b = await f.prisma.build.findUniqueOrThrow({ where: { id }, include: { tasks: { include: { history: true } } } });
      // The recorder writes the attempt history after the states: wait for both.
      const recorded = b.tasks.every((t) => t.status !== 'failed' || t.history.some((h) => h.outcome === 'failed'));
      return ['failed', 'succeeded', 'canceled'].includes(b.status) && recorded ? b : undefined;
    },
    `build ${id} to end`,
    20_000,
  );
}

export function heartbeat(id: string, platform: string, extra: Partial<AgentInfo> = {}): AgentInfo {
  return {
    id,
    platform: parsePlatform(platform),
    hostname: `${id}.lan`,
    version: '0.1.0',
    state: 'idle',
    currentTasks: [],
    concurrency: 1,
    freeDiskBytes: 10_000_000_000,
    cacheBytes: 0,
    at: new Date().toISOString(),
    ...extra,
  };
}
