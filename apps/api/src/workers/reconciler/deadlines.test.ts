import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { Redis } from 'ioredis';
import { UnrecoverableError, Worker } from 'bullmq';
import { buildQueueName, parsePlatform, redisKeys } from '@archway/contract';
import { nowIso, publishEvent } from '@archway/runtime';
import { makeGitRepo, resolved, type ApiFixture } from '../../testing/fixture.ts';
import { buildJob, finalBuild, heartbeat, postBuild, publishJob, reconcileFixture, sweep, sweepDeps, waitFor } from './test-support.ts';
import { runSweep } from './sweep.ts';
import { createApiMetrics } from '../../metrics/api-metrics.ts';

let f: ApiFixture;
let repoUrl: string;
const conns: Redis[] = [];
const workers: Worker[] = [];

beforeAll(async () => {
  f = await reconcileFixture();
  repoUrl = (await makeGitRepo(f.tmp)).url;
});
afterAll(async () => {
  for (const w of workers) await w.close(true);
  for (const c of conns) c.disconnect();
  await f?.close();
});

function connection(): Redis {
  const c = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null });
  conns.push(c);
  return c;
}

describe('reconciler: deadlines on the server', () => {
  it('fails with agent-lost the task of a stand-in agent that took the job, beat, and died, once the bound passed', async () => {
    const platform = 'linux/riscv64';
    const build = await postBuild(f, repoUrl, [platform]);
    const task = build.tasks[0]!;
    const keys = redisKeys(f.prefix);
    // A stand-in agent (a BullMQ worker, no buildah): takes the job with a 1 s lock it never
    // renews, marks the attempt as the agent does, beats once with a 1 s TTL, reports the start.
    const conn = connection();
    const worker = new Worker(buildQueueName(parsePlatform(platform)), null, { connection: conn, prefix: f.prefix, autorun: false, lockDuration: 1000 });
    const job = (await worker.getNextJob('stand-in-token'))!;
    expect(job.id).toBe(task.id);
    await job.updateProgress({ attempt: 1, agent: 'riscv-1', running: true });
    await f.redis.set(keys.agent('riscv-1'), JSON.stringify(heartbeat('riscv-1', platform, { state: 'busy', currentTasks: [task.id] })), 'PX', 1000);
    await publishEvent(f.redis, f.prefix, { type: 'task.started', buildId: build.id, taskId: task.id, agent: 'riscv-1', attempt: 1, at: nowIso() });

    // Alive (lock and heartbeat): nothing happens, whatever the bound.
    expect((await sweep(f, { agentLostMs: 0 })).agentLost).toBe(0);
    await worker.close(true); // dies without completing the job

    // Gone: counted from the first sweep that sees no lock and no heartbeat; fails after the bound.
    await waitFor(
      async () => (await f.redis.exists(keys.agent('riscv-1'), `${f.prefix}:${buildQueueName(parsePlatform(platform))}:${task.id}:lock`)) === 0,
      'lock and heartbeat to expire',
    );
    expect((await sweep(f, { agentLostMs: 3_600_000 })).agentLost).toBe(0);
    expect(await f.redis.hexists(keys.lostSince, task.id)).toBe(1);
    expect((await sweep(f, { agentLostMs: 0 })).agentLost).toBe(1);

    const done = await finalBuild(f, build.id);
    expect(done.status).toBe('failed');
    expect(done.error).toMatch(
      /^linux\/riscv64: agent riscv-1 was lost during attempt 1 \(no heartbeat, its lock on the job expired\) and no other agent of linux\/riscv64 is connected to take the task over/,
    );
    expect(done.tasks[0]!.history).toEqual([expect.objectContaining({ attempt: 1, agent: 'riscv-1', outcome: 'failed', cause: 'agent-lost' })]);
    // Redis agrees: nothing holds the flow any more, so it is gone and nothing will publish.
    expect(await buildJob(f, platform, task.id)).toBeUndefined();
    expect(await publishJob(f, build.id)).toBeUndefined();
    expect(await f.redis.hexists(keys.lostSince, task.id)).toBe(0);
  });

  it('fails a task past its time limit and tells its hung agent to stop', async () => {
    const platform = 'linux/s390x';
    const build = await postBuild(f, repoUrl, [platform]);
    const task = build.tasks[0]!;
    const sub = connection();
    const told: string[] = [];
    await sub.subscribe(`${f.prefix}:cancel`);
    sub.on('message', (_c, id) => told.push(id));
    // A hung stand-in agent: holds the job (its worker renews the lock) and ignores everything
    // until the cancel message arrives.
    let release: (() => void) | undefined;
    const started = new Promise<void>((up) => {
      workers.push(
        new Worker(
          buildQueueName(parsePlatform(platform)),
          async (job) => {
            await job.updateProgress({ attempt: 1, agent: 'z-1', running: true });
            up();
            await new Promise<void>((r) => (release = r));
            throw new UnrecoverableError('canceled');
          },
          { connection: connection(), prefix: f.prefix, lockDuration: 2000 },
        ),
      );
    });
    await started;
    await publishEvent(f.redis, f.prefix, { type: 'task.started', buildId: build.id, taskId: task.id, agent: 'z-1', attempt: 1, at: nowIso() });

    expect((await sweep(f, { buildTimeoutMs: 3_600_000 })).timedOut).toBe(0);
    const job = (await buildJob(f, platform, task.id))!;
    // Past the time limit (job timeoutMs absent: ARCHWAY_BUILD_TIMEOUT) plus the grace.
    await waitFor(async () => Date.now() - job.processedOn! > 1000, 'the stand-in to run past 1 s');
    expect((await sweep(f, { buildTimeoutMs: 1000, timeoutGraceMs: 0 })).timedOut).toBe(1);

    const done = await finalBuild(f, build.id);
    expect(done.error).toMatch(
      /^linux\/s390x: time limit exceeded: attempt 1 on z-1 was still running [0-9a-z.]+ after it started \(limit 1s\); the API stopped it/,
    );
    expect(done.tasks[0]!.history).toEqual([expect.objectContaining({ attempt: 1, outcome: 'failed', cause: 'timeout' })]);
    await waitFor(async () => told.includes(task.id), 'the cancel message to reach the agent');
    expect(await f.redis.sismember(redisKeys(f.prefix).canceled, task.id)).toBe(1);
    release!(); // the agent obeys: its job fails, and with it the parent
    await waitFor(async () => (await job.getState()) === 'failed', 'the job to fail');
  });

  it('fails a task that waited longer than the queue-wait limit, naming what was missing', async () => {
    const build = await postBuild(f, repoUrl, ['linux/ppc64le']);
    expect((await sweep(f, { queueWaitLimitMs: 0 })).queueWait).toBe(0); // 0: off
    const job = (await buildJob(f, 'linux/ppc64le', build.tasks[0]!.id))!;
    await waitFor(async () => Date.now() - job.timestamp > 300, 'the job to wait 300 ms');
    const metrics = createApiMetrics();
    expect((await runSweep({ ...sweepDeps(f, { queueWaitLimitMs: 300 }), metrics })).queueWait).toBe(1);
    const counted = (await metrics.reconcilerFailures.get()).values;
    expect(counted).toEqual([{ labels: { platform: 'linux/ppc64le', cause: 'queue-wait' }, value: 1 }]);
    const done = await finalBuild(f, build.id);
    expect(done.error).toMatch(/^linux\/ppc64le: waited \d+ms for an agent \(ARCHWAY_QUEUE_WAIT_LIMIT 300ms\): no agent of linux\/ppc64le is connected$/);
    expect(done.tasks[0]!.history).toEqual([expect.objectContaining({ attempt: 1, outcome: 'failed', cause: 'queue-wait' })]);
    expect(await publishJob(f, build.id)).toBeUndefined(); // nothing left for a late agent
  });

  it("uses the repository's own queue-wait limit when it has one, over ARCHWAY_QUEUE_WAIT_LIMIT (off here)", async () => {
    const reg = await f.app.inject({
      method: 'POST',
      url: '/api/v1/repos',
      headers: f.auth,
      payload: { fullName: 'acme/impatient', provider: 'github', cloneUrl: repoUrl, platforms: ['linux/arm/v6'], queueWaitLimit: '1s' },
    });
    expect(reg.statusCode, reg.body).toBe(201);
    expect(reg.json().queueWaitLimit).toBe('1s');
    const bad = await f.app.inject({ method: 'PATCH', url: `/api/v1/repos/${reg.json().id}`, headers: f.auth, payload: { queueWaitLimit: 'soon' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ field: 'queueWaitLimit' });
    const res = await f.app.inject({ method: 'POST', url: `/api/v1/repos/${reg.json().id}/builds`, headers: f.auth, payload: { ref: 'main' } });
    expect(res.statusCode, res.body).toBe(202);
    const build = await resolved(f, res.json().id); // the resolver queues the task behind the answer
    const job = (await buildJob(f, 'linux/arm/v6', build.tasks[0]!.id))!;
    expect(job.data.queueWaitLimitMs).toBe(1000);
    expect((await sweep(f, { queueWaitLimitMs: 0 })).queueWait).toBe(0); // not yet waited 1 s
    await waitFor(async () => Date.now() - job.timestamp > 1000, 'the job to wait 1 s');
    expect((await sweep(f, { queueWaitLimitMs: 0 })).queueWait).toBe(1);
    const done = await finalBuild(f, build.id);
    expect(done.error).toMatch(
      /^linux\/arm\/v6: waited \d[0-9a-z.]* for an agent \(the repository's queueWaitLimit 1s\): no agent of linux\/arm\/v6 is connected$/,
    );
  });

  it('says every agent of the platform was busy when there were some', async () => {
    const build = await postBuild(f, repoUrl, ['linux/arm64']);
    await f.redis.set(
      redisKeys(f.prefix).agent('arm-1'),
      JSON.stringify(heartbeat('arm-1', 'linux/arm64', { state: 'busy', currentTasks: ['other'] })),
      'EX',
      30,
    );
    const job = (await buildJob(f, 'linux/arm64', build.tasks[0]!.id))!;
    await waitFor(async () => Date.now() - job.timestamp > 300, 'the job to wait 300 ms');
    expect((await sweep(f, { queueWaitLimitMs: 300 })).queueWait).toBe(1);
    const done = await finalBuild(f, build.id);
    expect(done.error).toMatch(/: all 1 agent\(s\) of linux\/arm64 were busy$/);
  });
});
