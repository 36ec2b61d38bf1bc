import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Build } from '@archway/contract';
import { createTestDatabase } from '../support/db.ts';
import { testPrefix } from '../support/redis.ts';
import { busyboxRepoFiles, makeGitRepo, TWO_STAGE_CONTAINERFILE } from '../harness/git-repo.ts';
import { startStack, type Stack } from '../harness/stack.ts';

const run = promisify(execFile);

// Several images from one commit as separate processes: REST → two native agents (amd64, arm64)
// → merger → one OCI index per image in a real registry, each with its own tags.
describe('end-to-end build of several images', () => {
  let stack: Stack;
  let repo: { url: string; commit: string };
  const registry = inject('registryHost');

  beforeAll(async () => {
    const root = await mkdtemp(join(inject('tmpRoot'), 'e2e-images-'));
    repo = await makeGitRepo(join(root, 'repo'), { ...busyboxRepoFiles('hello from archway\n'), 'worker/Containerfile': TWO_STAGE_CONTAINERFILE });
    stack = await startStack({
      root,
      databaseUrl: await createTestDatabase(),
      redisUrl: inject('redisUrl'),
      prefix: testPrefix(),
      registryHost: registry,
      agents: ['linux/amd64', 'linux/arm64'],
    });
  });
  afterAll(async () => stack?.stop());

  // Attestation manifests (platform unknown/unknown, docs/supply-chain.md) sit beside the images in each index.
  const inspectRaw = async (ref: string) => JSON.parse((await run('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${ref}`])).stdout);

  async function build(images: object[]): Promise<Build> {
    const res = await stack.api('/api/v1/builds', {
      method: 'POST',
      body: JSON.stringify({ source: { url: repo.url, ref: 'main' }, platforms: ['linux/amd64', 'linux/arm64'], push: false, images }),
    });
    expect(res.status, await res.clone().text()).toBe(202);
    return stack.waitForFinal(((await res.json()) as { id: string }).id);
  }

  it('publishes each image as its own index with its own tags, tasks grouped by image', async () => {
    const suffix = randomUUID().slice(0, 8);
    const done = await build([
      { name: 'api', platforms: ['linux/amd64', 'linux/arm64'], image: `${registry}/e2e/api-${suffix}`, tags: ['1.0', 'latest'] },
      {
        name: 'worker',
        containerfile: 'worker/Containerfile',
        target: 'tools',
        platforms: ['linux/arm64'],
        image: `${registry}/e2e/worker-${suffix}`,
        tags: ['edge'],
      },
    ]);
    expect(done.status, JSON.stringify(done, null, 2)).toBe('succeeded');
    expect(done.tasks.map((t) => [t.image, t.platform, t.status])).toEqual([
      ['api', 'linux/amd64', 'built'],
      ['api', 'linux/arm64', 'built'],
      ['worker', 'linux/arm64', 'built'],
    ]);
    const [api, worker] = done.images!;
    expect(api).toMatchObject({ name: 'api', tags: ['1.0', 'latest'], indexDigest: expect.stringMatching(/^sha256:/) });
    expect(worker).toMatchObject({ name: 'worker', target: 'tools', tags: ['edge'], indexDigest: expect.stringMatching(/^sha256:/) });

    for (const tag of ['1.0', 'latest']) {
      const index = await inspectRaw(`${registry}/e2e/api-${suffix}:${tag}`);
      expect(
        index.manifests
          .map((m: any) => m.platform.architecture)
          .filter((a: string) => a !== 'unknown')
          .sort(),
      ).toEqual(['amd64', 'arm64']);
    }
    const index = await inspectRaw(`${registry}/e2e/worker-${suffix}:edge`);
    expect(index.manifests.map((m: any) => m.platform.architecture).filter((a: string) => a !== 'unknown')).toEqual(['arm64']);
    // Each image's publish has its own phases on the build.
    expect(done.phases.map((p) => p.name)).toEqual(expect.arrayContaining(['api: publish', 'worker: publish']));

    // Logs and archives are per image and platform.
    const log = await (await stack.api(`/api/v1/builds/${done.id}/logs?platform=linux/arm64&image=worker`)).text();
    expect(log).toContain('archway: building worker/Containerfile up to stage tools');
    const ambiguous = await stack.api(`/api/v1/builds/${done.id}/logs?platform=linux/arm64`);
    expect(ambiguous.status).toBe(400);
  });

  it('a failing image fails the build, and the reason names the image', async () => {
    const suffix = randomUUID().slice(0, 8);
    const done = await build([
      { name: 'api', platforms: ['linux/amd64'], image: `${registry}/e2e/api-${suffix}`, tags: ['1.0'] },
      { name: 'broken', containerfile: 'fail/Containerfile', platforms: ['linux/arm64'], image: `${registry}/e2e/broken-${suffix}`, tags: ['1.0'] },
    ]);
    expect(done.status).toBe('failed');
    expect(done.error).toMatch(/^image broken: linux\/arm64: step 3\/3 .*exit code 3/);
    expect((await fetch(`http://${registry}/v2/e2e/broken-${suffix}/tags/list`)).status).toBe(404);
  });
});
