import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase } from '../support/db.ts';
import { testPrefix } from '../support/redis.ts';
import { makeGitRepo } from '../harness/git-repo.ts';
import { startStack, type Stack } from '../harness/stack.ts';
import { listTags, seconds, slowRepoFiles, startOwnRedis, submitBuild, waitForRunning, type OwnRedis } from './support.ts';

const PLATFORMS = ['linux/amd64', 'linux/arm64'];

// Fault: the Redis that holds the queues is killed (SIGKILL) in the middle of a two-platform build
// and comes back on the same port with its AOF. Every process reconnects; the build is published.
describe('fault: Redis killed and restarted mid-build', () => {
  let stack: Stack;
  let redis: OwnRedis;
  let repo: { url: string };
  const registry = inject('registryHost');

  beforeAll(async () => {
    const root = await mkdtemp(join(inject('tmpRoot'), 'fault-redis-'));
    redis = await startOwnRedis(join(root, 'redis'));
    repo = await makeGitRepo(join(root, 'repo'), slowRepoFiles(4));
    stack = await startStack({
      root,
      databaseUrl: await createTestDatabase(),
      redisUrl: redis.url,
      prefix: testPrefix(),
      registryHost: registry,
      agents: PLATFORMS,
    });
  });
  afterAll(async () => {
    await stack?.stop();
    await redis?.stop();
  });

  it('ends succeeded with every tag, after Redis comes back', { timeout: 300_000 }, async () => {
    const id = await submitBuild(stack, {
      source: { url: repo.url, ref: 'main' },
      platforms: PLATFORMS,
      image: `${registry}/fault/redis`,
      tags: ['1.0', 'latest'],
    });
    await waitForRunning(stack, id);
    await redis.kill();
    expect(await listTags(registry, 'fault/redis')).toEqual([]);
    await redis.restart();
    const back = Date.now();
    const build = await stack.waitForFinal(id, 240_000);
    console.log(`fault redis-restart: build ${build.status} ${seconds(Date.now() - back)} after Redis came back`);
    expect(build.status, JSON.stringify(build, null, 2)).toBe('succeeded');
    expect((await listTags(registry, 'fault/redis')).sort()).toEqual(['1.0', 'latest']);
  });
});
