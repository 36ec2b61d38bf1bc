import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { mkdtemp } from 'node:fs/promises';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { testPrefix, testRedis } from '../../../test/support/redis.ts';
import type { AgentConfig } from './env.ts';
import { cleanLeftovers } from './leftovers.ts';
import { silentLogger } from './log.ts';
import { agentConfig, BUSYBOX, buildJob, buildQueue, enqueue, makeRepo, processRunning, spawnAgent, waitFor, type AgentProcess } from '../test/support.ts';

const PLATFORM = 'linux/amd64';

/** Live (non-zombie) processes whose process group is `pgid`. */
async function groupMembers(pgid: number): Promise<number[]> {
  const members: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => '');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After the command: state, ppid, pgrp.
    if (fields[0] !== 'Z' && Number(fields[2]) === pgid) members.push(Number(name));
  }
  return members;
}

describe('an agent killed (kill -9) during a RUN step', () => {
  const prefix = testPrefix();
  let redis: Redis;
  let queue: Queue;
  let agent: AgentProcess | undefined;
  let pgid = 0;
  let config: AgentConfig | undefined;

  beforeAll(() => {
    redis = testRedis();
    queue = buildQueue(prefix, PLATFORM);
  });

  afterAll(async () => {
    agent?.child.kill('SIGKILL');
    if (pgid) {
      try {
        process.kill(-pgid, 'SIGKILL');
      } catch {
        // Gone, as it should be.
      }
    }
    // As the agent's next start would: remove the working container and its mounts.
    if (config) await cleanLeftovers(config, { ...config }, silentLogger);
    await queue?.close();
    redis?.disconnect();
  });

  it('takes its buildah process group with it (parent-death signal), within seconds', { timeout: 120_000 }, async () => {
    const storeDir = await mkdtemp(join(inject('tmpRoot'), 'store-'));
    config = await agentConfig(prefix, PLATFORM, storeDir, { ARCHWAY_AGENT_ID: 'agent-killed' });
    agent = spawnAgent({
      REDIS_URL: config.redisUrl,
      ARCHWAY_QUEUE_PREFIX: prefix,
      ARCHWAY_OBJECT_STORE: config.objectStore,
      ARCHWAY_AGENT_PLATFORM: PLATFORM,
      ARCHWAY_AGENT_DATA_DIR: config.dataDir,
      ARCHWAY_AGENT_ID: 'agent-killed',
    });
    await waitFor('the agent to start', async () => agent!.out.stdout.includes('agent.started'), 30_000);
    const repo = await makeRepo({
      Containerfile: 'FROM scratch\nCOPY busybox /bin/sh\nCOPY busybox /bin/sleep\nRUN sleep 60\n',
      busybox: { copy: BUSYBOX },
    });
    const job = buildJob(PLATFORM, repo);
    await enqueue(queue, job);

    // The RUN step runs once `sleep 60` is a member of buildah's group (its pid file is in the work dir).
    const workRoot = join(config.dataDir, 'work');
    pgid = await waitFor('buildah to start', async () => {
      for (const dir of await readdir(workRoot).catch(() => [] as string[])) {
        const pid = Number((await readFile(join(workRoot, dir, 'buildah.pid'), 'utf8').catch(() => '')).trim());
        if (pid > 0) return pid;
      }
      return 0;
    });
    await waitFor(
      'the RUN step to run sleep 60',
      async () => {
        for (const pid of await groupMembers(pgid)) {
          if ((await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')) === 'sleep\x0060\x00') return true;
        }
        return false;
      },
      60_000,
    );
    expect((await groupMembers(pgid)).length).toBeGreaterThan(1);

    agent.child.kill('SIGKILL');
    await agent.exited;
    const killedAt = Date.now();
    await waitFor('the buildah process group to be gone', async () => (await groupMembers(pgid)).length === 0, 10_000);
    expect(Date.now() - killedAt).toBeLessThan(10_000);
    expect(processRunning(pgid)).toBe(false);
  });
});
