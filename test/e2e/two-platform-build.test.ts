import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase } from '../support/db.ts';
import { testPrefix } from '../support/redis.ts';
import { busyboxRepoFiles, makeGitRepo } from '../harness/git-repo.ts';
import { startStack, type Stack } from '../harness/stack.ts';

const run = promisify(execFile);

// The whole flow as a user drives it: REST call → two native agents (amd64, arm64) → object store
// → merger → one OCI index in a real registry, as separate processes.
describe('end-to-end two-platform build', () => {
  let stack: Stack;
  let repo: { url: string; commit: string };
  const registry = inject('registryHost');

  beforeAll(async () => {
    const root = await mkdtemp(join(inject('tmpRoot'), 'e2e-'));
    repo = await makeGitRepo(join(root, 'repo'), busyboxRepoFiles('hello from archway\n'));
    stack = await startStack({
      root,
      databaseUrl: await createTestDatabase(),
      redisUrl: inject('redisUrl'),
      prefix: testPrefix(),
      registryHost: registry,
      agents: ['linux/amd64', 'linux/arm64'],
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  async function inspectRaw(ref: string): Promise<any> {
    const { stdout } = await run('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${ref}`]);
    return JSON.parse(stdout);
  }

  it('publishes one index with both platforms under every tag', async () => {
    const res = await stack.api('/api/v1/builds', {
      method: 'POST',
      body: JSON.stringify({
        source: { url: repo.url, ref: 'main' },
        platforms: ['linux/amd64', 'linux/arm64'],
        image: `${registry}/e2e/app`,
        tags: ['1.0', 'latest'],
      }),
    });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    const build = await stack.waitForFinal(id);
    expect(build.status, JSON.stringify(build, null, 2)).toBe('succeeded');
    expect(build.source.commit).toBe(repo.commit);
    expect(build.indexDigest).toMatch(/^sha256:[0-9a-f]{64}$/);

    for (const tag of ['1.0', 'latest']) {
      const index = await inspectRaw(`${registry}/e2e/app:${tag}`);
      expect(index.mediaType).toBe('application/vnd.oci.image.index.v1+json');
      // The runnable images, then one attestation manifest per platform (docs/supply-chain.md).
      const runnable = index.manifests.filter((m: any) => m.annotations?.['vnd.docker.reference.type'] !== 'attestation-manifest');
      const attestations = index.manifests.filter((m: any) => m.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest');
      const platforms = runnable.map((m: any) => `${m.platform.os}/${m.platform.architecture}`).sort();
      expect(platforms).toEqual(['linux/amd64', 'linux/arm64']);
      expect(attestations.map((m: any) => m.annotations['vnd.docker.reference.digest']).sort()).toEqual(runnable.map((m: any) => m.digest).sort());
      // The config blob of each platform's image, as the registry serves it, names that platform.
      for (const entry of runnable) {
        const manifest = await inspectRaw(`${registry}/e2e/app@${entry.digest}`);
        const { stdout } = await run('skopeo', ['inspect', '--config', '--tls-verify=false', `docker://${registry}/e2e/app@${entry.digest}`]);
        const config = JSON.parse(stdout);
        expect(config.architecture).toBe(entry.platform.architecture);
        expect(config.os).toBe('linux');
        expect(manifest.layers.length).toBeGreaterThanOrEqual(3);
      }
    }

    for (const task of build.tasks) {
      expect(task.status).toBe('built');
      expect(task.attempts).toBe(1);
      expect(task.agent).toBe(`test-${task.platform.replace(/\//g, '-')}`);
      const kinds = new Set(task.phases.map((p) => p.kind));
      for (const kind of ['clone', 'build', 'step', 'export', 'upload']) expect(kinds, `${task.platform} phases`).toContain(kind);
      const steps = task.phases.filter((p) => p.kind === 'step');
      expect(steps).toHaveLength(5);
      for (const p of task.phases) {
        expect(p.endedAt, `${p.name} ended`).not.toBeNull();
        expect(p.durationMs).toBeGreaterThanOrEqual(0);
      }
      const log = await (await stack.api(`/api/v1/builds/${id}/logs?platform=${encodeURIComponent(task.platform)}`)).text();
      expect(log).toContain('STEP 4/5');
      expect(log).toContain('built');
    }
    expect(build.phases.map((p) => p.kind)).toContain('publish');
  });

  it('fails with platform, step and exit code when a RUN step fails, and writes no tag', async () => {
    const repository = `e2e/broken-${randomUUID().slice(0, 8)}`; // fresh: nothing in it from an earlier run
    const res = await stack.api('/api/v1/builds', {
      method: 'POST',
      body: JSON.stringify({
        source: { url: repo.url, ref: 'main' },
        containerfile: 'fail/Containerfile',
        platforms: ['linux/amd64', 'linux/arm64'],
        image: `${registry}/${repository}`,
        tags: ['1.0'],
      }),
    });
    expect(res.status).toBe(202);
    const build = await stack.waitForFinal(((await res.json()) as { id: string }).id);
    expect(build.status).toBe('failed');
    expect(build.error).toMatch(/^linux\/(amd64|arm64): step/);
    expect(build.error).toMatch(/step 3\/3/);
    expect(build.error).toMatch(/exit code 3/);
    const failed = build.tasks.find((t) => t.status === 'failed')!;
    expect(failed.exitCode).toBe(3);
    expect(failed.failedStep).toMatch(/RUN/);
    const tags = await fetch(`http://${registry}/v2/${repository}/tags/list`);
    expect(tags.status).toBe(404);
  });
});
