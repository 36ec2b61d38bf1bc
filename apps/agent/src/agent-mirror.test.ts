import { mkdtemp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { testPrefix, testRedis } from '../../../test/support/redis.ts';
import { agentConfig, BUSYBOX, buildJob, buildQueue, enqueue, makeRepo, readEvents, waitForFinished, LINUX_AMD64 } from '../test/support.ts';
import { startAgent, type AgentHandle } from './agent.ts';
import { silentLogger } from './log.ts';
import { capture } from './task/spawn.ts';

const PLATFORM = LINUX_AMD64;

/**
 * Base images through a registry mirror (pull-through proxy) configured in registries.conf style:
 * `mirror.example.invalid` does not resolve, so only the mirror (the test registry) can serve it.
 */
describe('base images through a registry mirror, kept in the agent storage', () => {
  const prefix = testPrefix();
  let redis: Redis;
  let queue: Queue;
  let agent: AgentHandle;

  beforeAll(async () => {
    redis = testRedis();
    queue = buildQueue(prefix, PLATFORM);
    const tmp = await mkdtemp(join(inject('tmpRoot'), 'mirror-'));
    const registry = inject('registryHost');
    const base = await makeRepo({ Containerfile: 'FROM scratch\nCOPY busybox /bin/sh\n', busybox: { copy: BUSYBOX } });
    const storage = ['--root', join(tmp, 'storage'), '--runroot', join(tmp, 'run'), '--storage-driver', 'overlay'];
    const ref = `${registry}/${prefix}/base:1`;
    const built = await capture('buildah', [...storage, 'build', '--isolation', 'chroot', '-t', ref, base.dir]);
    expect(built.code, built.lines.join('\n')).toBe(0);
    const pushed = await capture('buildah', [...storage, 'push', '--tls-verify=false', ref, `docker://${ref}`]);
    expect(pushed.code, pushed.lines.join('\n')).toBe(0);

    const conf = join(tmp, 'registries.conf');
    await writeFile(
      conf,
      `[[registry]]\nprefix = "mirror.example.invalid"\nlocation = "mirror.example.invalid"\n[[registry.mirror]]\nlocation = "${registry}"\ninsecure = true\n`,
    );
    const storeDir = await mkdtemp(join(inject('tmpRoot'), 'store-'));
    agent = await startAgent(await agentConfig(prefix, PLATFORM, storeDir, { ARCHWAY_AGENT_REGISTRIES_CONF: conf }), { log: silentLogger });
  });

  afterAll(async () => {
    await agent?.close();
    await queue?.close();
    redis?.disconnect();
  });

  it('pulls through the mirror once; the next build reuses the base image and every layer', async () => {
    const repo = await makeRepo({ Containerfile: `FROM mirror.example.invalid/${prefix}/base:1\nRUN ["/bin/sh", "-c", "echo built > /built"]\n` });
    const cachedSteps = async () => {
      const job = buildJob(PLATFORM, repo);
      await enqueue(queue, job);
      const done = await waitForFinished(queue, job.taskId);
      expect(done.failedReason).toBeUndefined();
      return (await readEvents(redis, prefix, job.taskId)).flatMap((e) => (e.type === 'phase.ended' && e.name.startsWith('step ') ? [e.cached] : []));
    };
    expect(await cachedSteps()).toEqual([false, false]); // pulled, then ran
    expect(await cachedSteps()).toEqual([true, true]); // nothing pulled, nothing ran
  });
});
