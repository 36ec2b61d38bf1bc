import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { gunzipSync } from 'node:zlib';
import type { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { BuildJob, objectKeys } from '@archway/contract';
import { FsObjectStore } from '@archway/runtime';
import { testPrefix, testRedis } from '../../../test/support/redis.ts';
import { agentConfig, BUSYBOX, buildJob, buildQueue, enqueue, LINUX_AMD64, makeRepo, readLog, tarFiles, waitForFinished } from '../test/support.ts';
import { startAgent, type AgentHandle } from './agent.ts';
import { createLogger } from './log.ts';
import { TWO_STAGE_CONTAINERFILE as CONTAINERFILE } from '../../../test/harness/git-repo.ts';

const PLATFORM = LINUX_AMD64;

/** The content of /stage in the image an archive holds (from its gzipped layers). */
async function stageOf(store: FsObjectStore, job: BuildJob): Promise<string[]> {
  const found: string[] = [];
  for (const blob of (await tarFiles(await buffer(await store.get(objectKeys.archive(job.buildId, PLATFORM))))).values()) {
    if (blob[0] !== 0x1f || blob[1] !== 0x8b) continue;
    for (const [file, content] of await tarFiles(gunzipSync(blob))) if (file.replace(/^\.?\//, '') === 'stage') found.push(content.toString().trim());
  }
  return found;
}

describe('build target stage', () => {
  const prefix = testPrefix();
  const redis = testRedis();
  let queue: Queue;
  let store: FsObjectStore;
  let agent: AgentHandle;

  beforeAll(async () => {
    queue = buildQueue(prefix, PLATFORM);
    const storeDir = await mkdtemp(join(inject('tmpRoot'), 'store-'));
    store = new FsObjectStore(storeDir);
    agent = await startAgent(await agentConfig(prefix, PLATFORM, storeDir), { log: createLogger(() => {}) });
  });

  afterAll(async () => {
    await agent?.close();
    await queue?.close();
    redis.disconnect();
  });

  it('builds up to the named stage with `buildah build --target`, and the last stage without one', async () => {
    const repo = await makeRepo({ Containerfile: CONTAINERFILE, busybox: { copy: BUSYBOX } });
    const targeted = buildJob(PLATFORM, repo, { target: 'tools' });
    await enqueue(queue, targeted);
    expect((await waitForFinished(queue, targeted.taskId)).failedReason).toBeUndefined();
    expect(await stageOf(store, targeted)).toEqual(['tools']);
    const lines = (await readLog(redis, prefix, targeted.taskId)).map((e) => e.line ?? '');
    expect(lines).toContain('archway: building Containerfile up to stage tools with context .');

    const whole = buildJob(PLATFORM, repo);
    await enqueue(queue, whole);
    expect((await waitForFinished(queue, whole.taskId)).failedReason).toBeUndefined();
    expect(await stageOf(store, whole)).toEqual(['final']);
  });

  it('fails for good, naming the stage, when the Containerfile has no such stage', async () => {
    const repo = await makeRepo({ Containerfile: CONTAINERFILE, busybox: { copy: BUSYBOX } });
    const job = buildJob(PLATFORM, repo, { target: 'nope' });
    await enqueue(queue, job);
    const done = await waitForFinished(queue, job.taskId);
    expect(done.failedReason).toMatch(/nope/);
    expect(done.attemptsMade).toBe(1);
  });

  it('refuses a target that could read as an option before any agent sees it', () => {
    const job = { ...buildJob(PLATFORM, { url: 'file:///x', commit: 'a'.repeat(40) }), target: '--file=/etc/passwd' };
    expect(BuildJob.safeParse(job).success).toBe(false);
  });
});
