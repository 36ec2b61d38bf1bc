import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Capacity } from '@archway/contract';
import { redisKeys } from '@archway/contract';
import { KubeStandIn } from '../../../../../test/harness/kube-stand-in.ts';
import { apiFixture, makeGitRepo, resolved, waitFor, type ApiFixture } from '../../testing/fixture.ts';
import type { FleetConfig } from './config.ts';
import { loadKube, startFleet, type Fleet } from './index.ts';

let f: ApiFixture;
let k: KubeStandIn;
let fleet: Fleet;
const logs: string[] = [];
const log = {
  info: (_o: object, m?: string) => logs.push(`info ${m}`),
  warn: (_o: object, m?: string) => logs.push(`warn ${m}`),
  error: (_o: object, m?: string) => logs.push(`error ${m}`),
};
const config: FleetConfig = {
  fleet: 'auto',
  namespace: undefined,
  intervalMs: 60_000,
  defaults: { min: 0, max: 3, cooldownMs: 300 },
  autoscale: true,
  failUnservableAfterMs: 1,
};

beforeAll(async () => {
  const holder = { capacity: () => fleet.capacity() };
  f = await apiFixture({ fleet: holder, allowLocalSources: true });
  k = await new KubeStandIn('builds').start(await mkdtemp(join(inject('tmpRoot'), 'kube-')));
  k.addNode({ name: 'x86-1', arch: 'amd64', cpu: '3500m', memory: '16Gi', ephemeralStorage: '200Gi' });
  k.addNode({ name: 'pi-1', arch: 'arm64', cpu: '4', memory: '8Gi' });
  k.addNode({ name: 'pi-2', arch: 'arm64', ready: false });
  k.addNode({
    name: 'pi-3',
    arch: 'arm64',
    taints: [
      { key: 'dedicated', value: 'db', effect: 'NoSchedule' },
      { key: 'soft', effect: 'PreferNoSchedule' },
    ],
  });
  k.addNode({ name: 'pi-4', arch: 'arm64', taints: [{ key: 'archway.dev/agents', effect: 'NoSchedule' }] });
  k.addPool({
    name: 'agents-arm64',
    platformLabel: 'linux-arm64',
    annotations: { 'archway.dev/autoscale-max': '2' },
    tolerations: [{ key: 'archway.dev/agents', operator: 'Exists' }],
  });
  k.addPool({ name: 'agents-amd64', platformLabel: 'linux-amd64', replicas: 0 });
  k.addPool({ name: 'agents-bad', platformLabel: 'linux-s390x', annotations: { 'archway.dev/autoscale-cooldown': 'soon' } });
  const kube = loadKube(config, { KUBECONFIG: k.kubeconfig });
  if (!kube.kube) throw new Error(kube.reason);
  fleet = startFleet({ prisma: f.prisma, redis: f.redis, queues: f.queues, prefix: f.prefix, config, log, kube: kube.kube }, { loop: false });
});
afterAll(async () => {
  await fleet?.close();
  await k?.close();
  await f?.close();
});

async function capacity(): Promise<Capacity> {
  const res = await f.app.inject({ method: 'GET', url: '/api/v1/capacity', headers: f.auth });
  expect(res.statusCode).toBe(200);
  return res.json() as Capacity;
}

async function post(platforms: string[]): Promise<string> {
  const repo = await makeGitRepo(f.tmp);
  const res = await f.app.inject({ method: 'POST', url: '/api/v1/builds', headers: f.auth, payload: { source: { url: repo.url }, push: false, platforms } });
  expect(res.statusCode, res.body).toBe(202);
  // Its jobs exist once the resolver queued the build (requests never wait on git).
  await resolved(f, res.json().id);
  return res.json().id as string;
}

function heartbeat(id: string, platform: string, state: 'idle' | 'busy') {
  const beat = {
    id,
    platform,
    hostname: id,
    version: '0.1.0',
    state,
    currentTasks: state === 'busy' ? ['t'] : [],
    concurrency: 1,
    freeDiskBytes: 1e10,
    cacheBytes: 0,
    at: new Date().toISOString(),
  };
  return f.redis.set(redisKeys(f.prefix).agent(id), JSON.stringify(beat), 'EX', 30);
}

describe('fleet against a stand-in Kubernetes API server (real @kubernetes/client-node, real kubeconfig)', () => {
  it('is off without in-cluster config or KUBECONFIG, saying why in one log line', async () => {
    const off = loadKube(config, {});
    expect(off.kube).toBeUndefined();
    const lines: string[] = [];
    const quiet = startFleet({
      prisma: f.prisma,
      redis: f.redis,
      queues: f.queues,
      prefix: f.prefix,
      config,
      log: { ...log, info: (_o, m) => lines.push(m ?? '') },
      kube: undefined,
      offReason: (off as { reason: string }).reason,
    });
    expect(lines).toEqual(['fleet: cluster integration off: not in a cluster (no KUBERNETES_SERVICE_HOST and service account token) and KUBECONFIG is unset']);
    expect((await quiet.capacity()).cluster).toMatchObject({ state: 'off', reason: expect.stringMatching(/KUBECONFIG is unset/) });
    expect(loadKube({ ...config, fleet: 'off' }, { KUBECONFIG: k.kubeconfig })).toEqual({ kube: undefined, reason: 'ARCHWAY_FLEET=off' });
  });

  it('shows nodes per architecture, pools and agents in GET /api/v1/capacity', async () => {
    await heartbeat('x86-a', 'linux/amd64', 'busy');
    const c = await capacity();
    expect(c.cluster).toMatchObject({ state: 'on', namespace: 'builds', reason: null });
    const arm = c.nodes.find((n) => n.arch === 'arm64')!;
    expect(arm).toMatchObject({ ready: 3, schedulable: 2, allocatable: { cpu: 8, memoryBytes: 16 * 2 ** 30 } });
    expect(arm.nodes.map((n) => [n.name, n.ready, n.blockingTaints])).toEqual([
      ['pi-1', true, []],
      ['pi-2', false, []],
      ['pi-3', true, ['dedicated=db:NoSchedule']], // PreferNoSchedule does not keep agents off
      ['pi-4', true, []], // tolerated by the arm64 pool
    ]);
    expect(c.nodes.find((n) => n.arch === 'amd64')).toMatchObject({ schedulable: 1, allocatable: { cpu: 3.5, ephemeralStorageBytes: 200 * 2 ** 30 } });
    expect(c.pools.map((p) => [p.name, p.platform, p.desired, p.min, p.max, p.cooldown])).toEqual([
      ['agents-amd64', 'linux/amd64', 0, 0, 3, '300ms'],
      ['agents-arm64', 'linux/arm64', 0, 0, 2, '300ms'],
      ['agents-bad', 'linux/s390x', 0, 0, 3, '300ms'],
    ]);
    expect(c.pools[2]!.problem).toBe('archway.dev/autoscale-cooldown: "soon" is not a duration like 5m');
    expect(c.agents).toContainEqual({ platform: 'linux/amd64', connected: 1, busy: 1, idle: 0, waiting: 0 });
    await f.redis.del(redisKeys(f.prefix).agent('x86-a'));
  });

  it('scales a pool from zero when a job waits, holds it while busy, and back to zero after the cooldown', async () => {
    await post(['linux/arm64']);
    await fleet.round();
    expect(k.replicas('agents-arm64')).toBe(1);
    expect(k.requests).toContain('PATCH /apis/apps/v1/namespaces/builds/statefulsets/agents-arm64/scale');
    const up = (await capacity()).decisions.find((d) => d.pool === 'agents-arm64')!;
    expect(up).toMatchObject({ action: 'up', from: 0, to: 1, platform: 'linux/arm64', reason: '1 job(s) waiting, no agent is idle' });
    expect(logs).toContain('info fleet: agents-arm64 up: 1 job(s) waiting, no agent is idle');
    // The replica's agent connects and takes the job: nothing waits, one agent busy.
    await f.queues.queue('build-linux-arm64').obliterate({ force: true });
    await heartbeat('arm-0', 'linux/arm64', 'busy');
    await fleet.round();
    expect(k.replicas('agents-arm64')).toBe(1);
    // Done: idle. Down only once the cooldown has passed without work.
    await heartbeat('arm-0', 'linux/arm64', 'idle');
    const idleSince = Date.now();
    await waitFor(async () => {
      await fleet.round();
      return k.replicas('agents-arm64') === 0;
    }, 'the pool to scale back to zero');
    expect(Date.now() - idleSince).toBeGreaterThanOrEqual(300);
    expect((await capacity()).decisions[0]).toMatchObject({ pool: 'agents-arm64', action: 'down', from: 1, to: 0 });
    await f.redis.del(redisKeys(f.prefix).agent('arm-0'));
  });

  it('records 403 naming the missing RBAC rule, 404 and 409, once each, and never scales the bad pool', async () => {
    await post(['linux/amd64']);
    k.forbid('patch', 'statefulsets/scale');
    await fleet.round();
    await fleet.round(); // the same refusal again is not recorded twice
    expect(k.replicas('agents-amd64')).toBe(0);
    let d = (await capacity()).decisions.filter((x) => x.pool === 'agents-amd64' && x.action === 'error');
    expect(d.map((x) => x.reason)).toEqual([
      expect.stringMatching(
        /^403 Forbidden patch statefulsets\/scale agents-amd64 in namespace builds: the API's ServiceAccount lacks the RBAC rule patch on statefulsets\/scale \(API group apps\) with resourceNames \[agents-amd64\]: statefulsets.apps "agents-amd64" is forbidden: User "system:serviceaccount:builds:archway-api" cannot patch resource "statefulsets\/scale"/,
      ),
    ]);
    k.allow('patch', 'statefulsets/scale');
    k.conflictOnNextPatch('agents-amd64');
    await fleet.round();
    d = (await capacity()).decisions.filter((x) => x.pool === 'agents-amd64' && x.action === 'error');
    expect(d[0]!.reason).toMatch(
      /^409 Conflict patch statefulsets\/scale agents-amd64 .*the object has been modified.* \(it now asks for 1 replica\(s\); wanted 0 → 1\)$/,
    );
    // The next round sees the concurrent change (1 replica starting) and leaves it.
    await fleet.round();
    expect(k.replicas('agents-amd64')).toBe(1);
    k.goneOnNextPatch('agents-amd64');
    k.scaleFromOutside('agents-amd64', 0);
    await fleet.round();
    d = (await capacity()).decisions.filter((x) => x.pool === 'agents-amd64' && x.action === 'error');
    expect(d[0]!.reason).toMatch(
      /^404 Not Found patch statefulsets\/scale agents-amd64 in namespace builds: it does not exist.*statefulsets.apps "agents-amd64" not found$/,
    );
    const bad = (await capacity()).decisions.filter((x) => x.pool === 'agents-bad');
    expect(bad).toEqual([expect.objectContaining({ action: 'error', reason: 'not scaled: archway.dev/autoscale-cooldown: "soon" is not a duration like 5m' })]);
    expect(k.requests.filter((r) => r.includes('agents-bad/scale'))).toEqual([]);
    await f.queues.queue('build-linux-amd64').obliterate({ force: true });
  });

  it('fails fast a build for a platform with no agent, no pool and no node, with that reason; leaves others waiting', async () => {
    const riscv = await post(['linux/riscv64']);
    const ppc = await post(['linux/ppc64le']);
    k.addNode({ name: 'power-1', arch: 'ppc64le' }); // someone may still start an agent there
    await fleet.round();
    const build = await waitFor(async () => {
      const b = (await f.app.inject({ method: 'GET', url: `/api/v1/builds/${riscv}`, headers: f.auth })).json();
      return b.status === 'failed' ? b : undefined;
    }, 'the riscv64 build to fail');
    expect(build.error).toBe(
      'linux/riscv64: no agent of linux/riscv64 is connected, no agent pool serves it and the cluster has no node of architecture riscv64',
    );
    expect(build.tasks[0].history).toEqual([expect.objectContaining({ outcome: 'failed', cause: 'queue-wait' })]);
    expect((await capacity()).decisions[0]).toMatchObject({ action: 'fail', platform: 'linux/riscv64' });
    const other = (await f.app.inject({ method: 'GET', url: `/api/v1/builds/${ppc}`, headers: f.auth })).json();
    expect(other.status).toBe('queued');
  });
});
