import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase } from '../support/db.ts';
import { testPrefix } from '../support/redis.ts';
import { makeGitRepo } from '../harness/git-repo.ts';
import { startStack, type Stack } from '../harness/stack.ts';
import { listTags, seconds, slowRepoFiles, submitBuild, waitForRunning } from './support.ts';

const PLATFORMS = ['linux/amd64', 'linux/arm64'];

// Fault: SIGKILL of the API (which also runs the recorder) and then of the merger while a
// two-platform build runs; the supervisor restarts them as `npm start` does. The recorder picks
// up the events it missed; the build is published, tags last.
describe('fault: API and merger killed mid-build', () => {
  let stack: Stack;
  let repo: { url: string };
  const registry = inject('registryHost');

  beforeAll(async () => {
    const root = await mkdtemp(join(inject('tmpRoot'), 'fault-api-'));
    repo = await makeGitRepo(join(root, 'repo'), slowRepoFiles(5));
    stack = await startStack({
      root,
      databaseUrl: await createTestDatabase(),
      redisUrl: inject('redisUrl'),
      prefix: testPrefix(),
      registryHost: registry,
      agents: PLATFORMS,
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('ends succeeded with every tag', { timeout: 300_000 }, async () => {
    const id = await submitBuild(stack, {
      source: { url: repo.url, ref: 'main' },
      platforms: PLATFORMS,
      image: `${registry}/fault/api`,
      tags: ['1.0', 'latest'],
    });
    await waitForRunning(stack, id);
    const killedAt = Date.now();
    process.kill(stack.processes.api.pid()!, 'SIGKILL');
    process.kill(stack.processes.merger.pid()!, 'SIGKILL');
    expect(await listTags(registry, 'fault/api')).toEqual([]);
    const build = await stack.waitForFinal(id, 240_000);
    console.log(`fault api-killed: build ${build.status} ${seconds(Date.now() - killedAt)} after the kill`);
    expect(build.status, JSON.stringify(build, null, 2)).toBe('succeeded');
    expect((await listTags(registry, 'fault/api')).sort()).toEqual(['1.0', 'latest']);
  });
});
