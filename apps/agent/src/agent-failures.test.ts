import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { testPrefix, testRedis } from '../../../test/support/redis.ts';
import { agentConfig, BUSYBOX, buildJob, buildQueue, enqueue, makeRepo, readEvents, readLog, waitForFinished, LINUX_AMD64 } from '../test/support.ts';
import { startAgent, type AgentHandle } from './agent.ts';
import { silentLogger } from './log.ts';

const PLATFORM = LINUX_AMD64;

describe('agent failures are final, with a reason a person can act on', () => {
  const prefix = testPrefix();
  let redis: Redis;
  let agent: AgentHandle;
  let queue: Queue;

  beforeAll(async () => {
    redis = testRedis();
    const storeDir = await mkdtemp(join(inject('tmpRoot'), 'store-'));
    agent = await startAgent(await agentConfig(prefix, PLATFORM, storeDir), { log: silentLogger });
    queue = buildQueue(prefix, PLATFORM);
  });

  afterAll(async () => {
    await agent?.close();
    await queue?.close();
    redis?.disconnect();
  });

  async function failedTask(files: Parameters<typeof makeRepo>[0], jobExtra: Parameters<typeof buildJob>[2] = {}, commit?: string) {
    const repo = await makeRepo(files);
    const job = buildJob(PLATFORM, { url: repo.url, commit: commit ?? repo.commit }, jobExtra);
    await enqueue(queue, job);
    const done = await waitForFinished(queue, job.taskId);
    const events = await readEvents(redis, prefix, job.taskId);
    const failed = events.find((e) => e.type === 'task.failed');
    return { job, done, events, failed, state: await done.getState(), repo };
  }

  it('a failing RUN step fails the job without retry and names the step and exit code', async () => {
    const { job, done, state, failed, events } = await failedTask({
      Containerfile: 'FROM scratch\nCOPY busybox /bin/sh\nRUN echo about to fail && exit 3\n',
      busybox: { copy: BUSYBOX },
    });
    const reason = 'linux/amd64: step 3/3 "RUN echo about to fail && exit 3" failed with exit code 3';
    expect(state).toBe('failed');
    expect(done.failedReason).toBe(reason);
    expect(done.attemptsMade).toBe(1); // UnrecoverableError: no second attempt
    expect(failed).toMatchObject({ reason, final: true, exitCode: 3, step: 'step 3/3: RUN echo about to fail && exit 3', attempt: 1 });
    // The step phase was closed, so the timeline shows how long it ran.
    expect(events.filter((e) => e.type === 'phase.ended').map((e) => e.type === 'phase.ended' && e.name)).toContain(
      'step 3/3: RUN echo about to fail && exit 3',
    );
    const lines = (await readLog(redis, prefix, job.taskId)).map((l) => l.line);
    // The step as buildah announced it, and the reason. Not the step's own output: in one loaded CI
    // run the live log of this step, which fails at once, had 10 entries instead of 12 and no
    // "about to fail" (buildah 1.28's chroot runtime relays a step's output from its child process).
    // RUN output reaching the log stays checked by the tests that wait on a running step's output.
    expect(lines).toContain('STEP 3/3: RUN echo about to fail && exit 3');
    expect(lines).toContain(`archway: failed: ${reason}`);
  });

  it('a commit the repository does not have is a final failure, not a crash', async () => {
    const missing = 'c0ffee'.padEnd(40, '0');
    const { done, state, failed, repo } = await failedTask({ Containerfile: 'FROM scratch\n' }, {}, missing);
    const reason = `commit ${missing} not found in ${repo.url}`;
    expect(state).toBe('failed');
    expect(done.failedReason).toBe(reason);
    expect(done.attemptsMade).toBe(1);
    expect(failed).toMatchObject({ reason, final: true });
  });

  it('refuses a Containerfile that is a symlink out of the checkout', async () => {
    const { done, state, failed } = await failedTask({ Containerfile: { symlink: '/etc/passwd' } });
    expect(state).toBe('failed');
    expect(done.failedReason).toBe('containerfile "Containerfile" resolves outside the repository (symlink); refusing to use it');
    expect(failed).toMatchObject({ final: true });
  });

  it('refuses a context directory that is a symlink out of the checkout', async () => {
    const { done } = await failedTask({ Containerfile: 'FROM scratch\n', ctx: { symlink: '/etc' } }, { context: 'ctx' });
    expect(done.failedReason).toBe('context "ctx" resolves outside the repository (symlink); refusing to use it');
  });

  it('names the paths it tried when there is no Containerfile', async () => {
    const { done } = await failedTask({ 'app/README': 'no containerfile here' }, { context: 'app' });
    expect(done.failedReason).toBe('no Containerfile found: tried "app/Containerfile", "app/Dockerfile", "Containerfile", "Dockerfile"');
  });

  it('falls back to Dockerfile at the repository root', async () => {
    const repo = await makeRepo({ Dockerfile: 'FROM scratch\nCOPY app/x /x\n', 'app/x': 'x' });
    const job = buildJob(PLATFORM, repo);
    await enqueue(queue, job);
    const done = await waitForFinished(queue, job.taskId);
    expect(done.failedReason).toBeUndefined();
    expect(done.returnvalue.manifestDigest).toMatch(/^sha256:/);
  });

  it("a COPY of a missing file is final and carries buildah's message", async () => {
    const { done, failed } = await failedTask({ Containerfile: 'FROM scratch\nCOPY nope /x\n' });
    expect(done.failedReason).toMatch(/^linux\/amd64: step 2\/2 "COPY nope \/x" failed: .*no such file or directory/);
    expect(failed).toMatchObject({ final: true, step: 'step 2/2: COPY nope /x' });
    expect(failed?.type === 'task.failed' && failed.exitCode).toBeUndefined();
  });
});
