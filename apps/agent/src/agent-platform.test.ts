import { mkdtemp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { testPrefix, testRedis } from '../../../test/support/redis.ts';
import { agentConfig, BUSYBOX, buildJob, buildQueue, enqueue, makeRepo, readEvents, waitForFinished } from '../test/support.ts';
import { startAgent, type AgentHandle } from './agent.ts';
import { silentLogger } from './log.ts';
import { capture } from './task/spawn.ts';

/**
 * A base image that exists only for amd64, in the test registry. buildah 1.28 builds an arm64
 * image FROM it with a mere warning (and stamps arm64 on amd64 binaries); the agent must refuse.
 */
describe('platform mismatch of the base image', () => {
  const prefix = testPrefix();
  let redis: Redis;
  const agents: AgentHandle[] = [];
  const queues: Record<string, Queue> = {};
  let baseRef: string;
  const savedConf = process.env.CONTAINERS_REGISTRIES_CONF;

  beforeAll(async () => {
    redis = testRedis();
    const tmp = await mkdtemp(join(inject('tmpRoot'), 'platform-'));
    const registry = inject('registryHost');
    // The test registry speaks plain HTTP: tell buildah (as an operator would, in registries.conf).
    const conf = join(tmp, 'registries.conf');
    await writeFile(conf, `[[registry]]\nlocation = "${registry}"\ninsecure = true\n`);
    process.env.CONTAINERS_REGISTRIES_CONF = conf;

    const base = await makeRepo({ Containerfile: 'FROM scratch\nCOPY busybox /bin/busybox\n', busybox: { copy: BUSYBOX } });
    const storage = ['--root', join(tmp, 'storage'), '--runroot', join(tmp, 'run'), '--storage-driver', 'overlay'];
    baseRef = `${registry}/${prefix}/base:amd64-only`;
    const built = await capture('buildah', [...storage, 'build', '--platform', 'linux/amd64', '--isolation', 'chroot', '-t', baseRef, base.dir]);
    expect(built.code, built.lines.join('\n')).toBe(0);
    const pushed = await capture('buildah', [...storage, 'push', '--tls-verify=false', baseRef, `docker://${baseRef}`]);
    expect(pushed.code, pushed.lines.join('\n')).toBe(0);

    const storeDir = await mkdtemp(join(inject('tmpRoot'), 'store-'));
    for (const platform of ['linux/amd64', 'linux/arm64']) {
      agents.push(await startAgent(await agentConfig(prefix, platform, storeDir), { log: silentLogger }));
      queues[platform] = buildQueue(prefix, platform);
    }
  });

  afterAll(async () => {
    await Promise.all(agents.map((a) => a.close()));
    await Promise.all(Object.values(queues).map((q) => q.close()));
    redis?.disconnect();
    if (savedConf === undefined) delete process.env.CONTAINERS_REGISTRIES_CONF;
    else process.env.CONTAINERS_REGISTRIES_CONF = savedConf;
  });

  const containerfile = () => `FROM ${baseRef}\nRUN ["/bin/busybox", "true"]\n`;

  it('builds on the platform the base image has', async () => {
    const repo = await makeRepo({ Containerfile: containerfile() });
    const job = buildJob('linux/amd64', repo);
    await enqueue(queues['linux/amd64']!, job);
    const done = await waitForFinished(queues['linux/amd64']!, job.taskId);
    expect(done.failedReason).toBeUndefined();
  });

  it('fails for a platform the base image lacks, saying so', async () => {
    const repo = await makeRepo({ Containerfile: containerfile() });
    const job = buildJob('linux/arm64', repo);
    await enqueue(queues['linux/arm64']!, job);
    const done = await waitForFinished(queues['linux/arm64']!, job.taskId);
    const reason = `linux/arm64: platform mismatch: the base image in step 1/2 "FROM ${baseRef}" is for linux/amd64, not linux/arm64 (it has no linux/arm64 variant)`;
    expect(done.failedReason).toBe(reason);
    expect(done.attemptsMade).toBe(1);
    const failed = (await readEvents(redis, prefix, job.taskId)).find((e) => e.type === 'task.failed');
    expect(failed).toMatchObject({ reason, final: true });
  });
});
