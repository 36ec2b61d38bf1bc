import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { isFinalBuildStatus, type Build } from '@archway/contract';
import { createTestDatabase } from '../support/db.ts';
import { testPrefix, testRedis } from '../support/redis.ts';
import { makeGitRepo } from '../harness/git-repo.ts';
import { startStack, type Stack } from '../harness/stack.ts';
import { agentConfig, readLog, spawnAgent, waitFor, type AgentProcess } from '../../apps/agent/test/support.ts';
import { cleanLeftovers } from '../../apps/agent/src/leftovers.ts';
import { silentLogger } from '../../apps/agent/src/log.ts';
import type { AgentConfig } from '../../apps/agent/src/env.ts';

const PLATFORM = 'linux/amd64';

// kill -9 of the agent running a build, with a second agent of the platform up: the build still
// succeeds, and GET /builds/:id shows both attempts with their agents and the first one's reason.
describe('end-to-end: an agent killed mid-build', () => {
  const prefix = testPrefix();
  let stack: Stack;
  let redis: Redis;
  let root: string;
  const agents: { config: AgentConfig; proc: AgentProcess }[] = [];

  const startAgentProcess = async (id: string) => {
    const config = await agentConfig(prefix, PLATFORM, stack.objectStoreDir, { ARCHWAY_AGENT_ID: id });
    const proc = spawnAgent({
      REDIS_URL: config.redisUrl,
      ARCHWAY_QUEUE_PREFIX: prefix,
      ARCHWAY_OBJECT_STORE: config.objectStore,
      ARCHWAY_AGENT_PLATFORM: PLATFORM,
      ARCHWAY_AGENT_DATA_DIR: config.dataDir,
      ARCHWAY_AGENT_ID: id,
      ARCHWAY_AGENT_LOCK_DURATION: '4s',
    });
    agents.push({ config, proc });
    await waitFor(`agent ${id} to start`, async () => proc.out.stdout.includes('agent.started'), 30_000);
    return proc;
  };

  beforeAll(async () => {
    root = await mkdtemp(join(inject('tmpRoot'), 'e2e-lost-'));
    redis = testRedis();
    stack = await startStack({
      root,
      databaseUrl: await createTestDatabase(),
      redisUrl: inject('redisUrl'),
      prefix,
      registryHost: inject('registryHost'),
      agents: [],
    });
  });

  afterAll(async () => {
    for (const a of agents) {
      a.proc.child.kill('SIGKILL');
      await a.proc.exited;
      // What a restarted agent does first: kill its orphaned buildah, remove containers and mounts.
      await cleanLeftovers(a.config, { ...a.config }, silentLogger);
    }
    await stack?.stop();
    redis?.disconnect();
  });

  it('succeeds on the second agent with two attempts in the task history', async () => {
    const repo = await makeGitRepo(join(root, 'repo'), {
      Containerfile: 'FROM scratch\nCOPY busybox /bin/sh\nCOPY busybox /bin/sleep\nRUN echo working && sleep 3 && echo done\n',
      busybox: { copyFrom: '/bin/busybox' },
    });
    const a = await startAgentProcess('e2e-agent-a');
    const res = await stack.api('/api/v1/builds', {
      method: 'POST',
      body: JSON.stringify({
        source: { url: repo.url, ref: 'main', commit: repo.commit },
        platforms: [PLATFORM],
        image: `${inject('registryHost')}/${prefix}/lost`,
        tags: ['t1'],
      }),
    });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    const taskId = await waitFor('the task to run on agent A', async () => {
      const b = (await (await stack.api(`/api/v1/builds/${id}`)).json()) as Build;
      const t = b.tasks[0]; // none while the build is still resolving
      if (!t) return undefined;
      return t.agent === 'e2e-agent-a' && (await readLog(redis, prefix, t.id)).some((l) => l.line === 'working') ? t.id : undefined;
    });
    await startAgentProcess('e2e-agent-b');
    a.child.kill('SIGKILL');

    const build = await waitFor(
      'the build to finish',
      async () => {
        const b = (await (await stack.api(`/api/v1/builds/${id}`)).json()) as Build;
        return isFinalBuildStatus(b.status) ? b : undefined;
      },
      90_000,
    );
    expect(build.status, build.error ?? '').toBe('succeeded');
    const task = build.tasks.find((t) => t.id === taskId)!;
    expect(task).toMatchObject({ status: 'built', agent: 'e2e-agent-b', attempts: 2 });
    expect(task.history?.map((h) => [h.attempt, h.agent, h.outcome, h.cause])).toEqual([
      [1, 'e2e-agent-a', 'failed', 'agent-lost'],
      [2, 'e2e-agent-b', 'built', null],
    ]);
    expect(task.history?.[0]?.reason).toMatch(/agent e2e-agent-a was lost during attempt 1/);
  });
});
