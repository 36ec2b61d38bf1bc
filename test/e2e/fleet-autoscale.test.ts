import { execFile } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Capacity } from '@archway/contract';
import { createTestDatabase } from '../support/db.ts';
import { testPrefix } from '../support/redis.ts';
import { waitFor } from '../support/wait.ts';
import { busyboxRepoFiles, makeGitRepo } from '../harness/git-repo.ts';
import { KubeStandIn } from '../harness/kube-stand-in.ts';
import { PoolController } from '../harness/pool-controller.ts';
import { startStack, type Stack } from '../harness/stack.ts';

const run = promisify(execFile);
const POOLS = { 'archway-agent-amd64': 'linux/amd64', 'archway-agent-arm64': 'linux/arm64' };

// The autoscaler in the real API process, against a stand-in Kubernetes API server (none can run
// here), with real agents: a test controller runs one agent process per replica the stand-in
// holds, as a StatefulSet controller would run pods.
describe('fleet end to end: pools scale from zero with the queue and back (stand-in Kubernetes API server, real agents)', () => {
  let stack: Stack;
  let kube: KubeStandIn;
  let controller: PoolController;
  let redis: Redis;
  let repo: { url: string };
  const registry = inject('registryHost');

  beforeAll(async () => {
    const root = await mkdtemp(join(inject('tmpRoot'), 'fleet-e2e-'));
    repo = await makeGitRepo(join(root, 'repo'), busyboxRepoFiles('hello from a scaled pool\n'));
    kube = await new KubeStandIn('archway').start(root);
    kube.addNode({ name: 'x86-1', arch: 'amd64' });
    kube.addNode({ name: 'pi-1', arch: 'arm64' });
    for (const [name, platform] of Object.entries(POOLS)) {
      kube.addPool({
        name,
        platformLabel: platform.replace('/', '-'),
        replicas: 0,
        annotations: { 'archway.dev/autoscale-min': '0', 'archway.dev/autoscale-max': '2', 'archway.dev/autoscale-cooldown': '2s' },
      });
    }
    const prefix = testPrefix();
    stack = await startStack({
      root,
      databaseUrl: await createTestDatabase(),
      redisUrl: inject('redisUrl'),
      prefix,
      registryHost: registry,
      agents: [],
      env: { KUBECONFIG: kube.kubeconfig, ARCHWAY_FLEET_INTERVAL: '500ms', ARCHWAY_FLEET_FAIL_UNSERVABLE_AFTER: '1s' },
    });
    redis = new Redis(inject('redisUrl'));
    const agentEnv = {
      ...process.env,
      REDIS_URL: inject('redisUrl'),
      ARCHWAY_QUEUE_PREFIX: prefix,
      ARCHWAY_OBJECT_STORE: `file://${stack.objectStoreDir}`,
      ARCHWAY_ALLOW_LOCAL_SOURCES: 'true',
    };
    controller = new PoolController(kube, POOLS, { root, env: agentEnv, redis, prefix, log: (l) => stack.output.push(l) });
  }, 120_000);
  afterAll(async () => {
    await controller?.stop();
    await stack?.stop();
    await kube?.close();
    redis?.disconnect();
  });

  const capacity = async () => (await (await stack.api('/api/v1/capacity')).json()) as Capacity;

  it('a two-platform build scales both pools from zero, builds, publishes, and the pools return to zero', async () => {
    const res = await stack.api('/api/v1/builds', {
      method: 'POST',
      body: JSON.stringify({
        source: { url: repo.url, ref: 'main' },
        platforms: ['linux/amd64', 'linux/arm64'],
        image: `${registry}/fleet/app`,
        tags: ['1.0'],
      }),
    });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    await waitFor(async () => Object.keys(POOLS).every((p) => (kube.replicas(p) ?? 0) >= 1), 'both pools to scale up', 60_000);
    const build = await stack.waitForFinal(id);
    expect(build.status, JSON.stringify(build, null, 2)).toBe('succeeded');
    for (const task of build.tasks) {
      expect(task.agent).toBe(`archway-agent-${task.platform.split('/')[1]}-0`);
      expect(task.attempts).toBe(1);
    }
    const { stdout } = await run('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${registry}/fleet/app:1.0`]);
    // The runnable images (the supply chain adds one attestation manifest per platform).
    const images = JSON.parse(stdout).manifests.filter((m: any) => m.annotations?.['vnd.docker.reference.type'] !== 'attestation-manifest');
    expect(images.map((m: any) => m.platform.architecture).sort()).toEqual(['amd64', 'arm64']);

    // Idle after the build: back to zero after the 2 s cooldown, agents stopped by the controller.
    await waitFor(async () => Object.keys(POOLS).every((p) => kube.replicas(p) === 0 && controller.count(p) === 0), 'both pools back at zero', 90_000);
    const decisions = (await capacity()).decisions;
    for (const pool of Object.keys(POOLS)) {
      expect(decisions).toContainEqual(expect.objectContaining({ pool, action: 'up', from: 0, to: 1 }));
      expect(decisions).toContainEqual(expect.objectContaining({ pool, action: 'down', from: 1, to: 0 }));
    }
    // Every pod the controller stopped had been started by a scale-up, one per replica.
    expect(controller.pods.map((p) => p.id).sort()).toEqual(['archway-agent-amd64-0', 'archway-agent-arm64-0']);
  }, 300_000);

  it('fails fast a build for a platform with no pool, no agent and no node, saying so', async () => {
    const res = await stack.api('/api/v1/builds', {
      method: 'POST',
      body: JSON.stringify({ source: { url: repo.url, ref: 'main' }, platforms: ['linux/riscv64'], push: false }),
    });
    expect(res.status).toBe(202);
    const build = await stack.waitForFinal(((await res.json()) as { id: string }).id, 60_000);
    expect(build.status).toBe('failed');
    expect(build.error).toBe(
      'linux/riscv64: no agent of linux/riscv64 is connected, no agent pool serves it and the cluster has no node of architecture riscv64',
    );
    expect(kube.requests.some((r) => r.startsWith('PATCH') && r.includes('riscv'))).toBe(false);
  }, 120_000);
});
