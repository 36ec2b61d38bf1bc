// bench/fleet: how fast a build starts when its agent pool is at zero, and whether a scale-down
// ever interrupts a running build. The real API (autoscaler at its default interval) against the
// stand-in Kubernetes API server, with the test controller running one agent process per replica.
//   npm run bench:fleet [-- --rounds 3]
// (a) created → first task started, pools at zero, minus the controller's start cost (scale call →
//     the agent's first heartbeat: what a kubelet starting a pod costs, not Archway) vs (b) the same
//     with the agents already running (the baseline, measured in the same run). Target (a) ≤ 2 s.
// (c) two builds on one platform, one short, one long: the pool goes to 2, then down to 1 while the
//     long one runs — the StatefulSet removes the highest ordinal, busy or not; it must drain, and
//     every task succeed at its first attempt.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { Build } from '@archway/contract';
import { benchServices, median } from '../lib/services.ts';
import { busyboxRepoFiles, makeGitRepo } from '../../test/harness/git-repo.ts';
import { KubeStandIn } from '../../test/harness/kube-stand-in.ts';
import { PoolController } from '../../test/harness/pool-controller.ts';
import { startStack } from '../../test/harness/stack.ts';
import { waitFor } from '../../test/support/wait.ts';

const rounds = Number(process.argv[process.argv.indexOf('--rounds') + 1] || 3) || 3;
const POOLS = { 'archway-agent-amd64': 'linux/amd64', 'archway-agent-arm64': 'linux/arm64' };
const COOLDOWN = '3s';

const svc = await benchServices();
const kube = await new KubeStandIn('archway').start(svc.root);
const prefix = 'bench-fleet';
const redis = new Redis(svc.redisUrl);
let controller: PoolController | undefined;
const stack = await startStack({
  root: join(svc.root, 'stack'),
  databaseUrl: svc.databaseUrl,
  redisUrl: svc.redisUrl,
  prefix,
  registryHost: svc.registryHost,
  agents: [],
  env: { KUBECONFIG: kube.kubeconfig, ARCHWAY_LOG_LEVEL: 'warn' },
});
try {
  kube.addNode({ name: 'x86-1', arch: 'amd64' });
  kube.addNode({ name: 'pi-1', arch: 'arm64' });
  for (const [name, platform] of Object.entries(POOLS)) {
    const annotations = { 'archway.dev/autoscale-min': '0', 'archway.dev/autoscale-max': '2', 'archway.dev/autoscale-cooldown': COOLDOWN };
    kube.addPool({ name, platformLabel: platform.replace('/', '-'), replicas: 0, annotations });
  }
  const agentEnv = {
    ...process.env,
    REDIS_URL: svc.redisUrl,
    ARCHWAY_QUEUE_PREFIX: prefix,
    ARCHWAY_OBJECT_STORE: `file://${stack.objectStoreDir}`,
    ARCHWAY_LOG_LEVEL: 'warn',
  };
  await mkdir(join(svc.root, 'pods'), { recursive: true });
  controller = new PoolController(kube, POOLS, { root: join(svc.root, 'pods'), env: agentEnv, redis, prefix, log: (l) => stack.output.push(l) });
  const c = controller;
  const repo = await makeGitRepo(join(svc.root, 'repo'), {
    ...busyboxRepoFiles('bench\n'),
    'slow/Containerfile': 'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "sleep", "8"]\n',
  });

  const submit = async (platforms: string[], containerfile?: string): Promise<string> => {
    const body = { source: { url: repo.url, ref: 'main' }, platforms, push: false, ...(containerfile ? { containerfile } : {}) };
    const res = await stack.api('/api/v1/builds', { method: 'POST', body: JSON.stringify(body) });
    if (res.status !== 202) throw new Error(`POST /builds answered ${res.status}: ${await res.text()}`);
    return ((await res.json()) as { id: string }).id;
  };
  const firstStart = (b: Build) => Math.min(...b.tasks.map((t) => Date.parse(t.startedAt!)));
  const atZero = () => waitFor(async () => Object.keys(POOLS).every((p) => kube.replicas(p) === 0 && c.count(p) === 0), 'pools at zero', 120_000);

  // (a) from zero
  const cold: number[] = [];
  const costs: number[] = [];
  for (let r = 0; r < rounds; r++) {
    await atZero();
    const podsBefore = c.pods.length;
    const id = await submit(['linux/amd64', 'linux/arm64']);
    const build = await stack.waitForFinal(id);
    if (build.status !== 'succeeded') throw new Error(`cold round ${r}: ${build.status} ${build.error}`);
    const first = build.tasks.reduce((a, b) => (Date.parse(a.startedAt!) <= Date.parse(b.startedAt!) ? a : b));
    const pod = c.pods.slice(podsBefore).find((p) => p.id === first.agent)!;
    const cost = pod.readyAt! - pod.askedAt;
    costs.push(cost);
    cold.push(firstStart(build) - Date.parse(build.createdAt) - cost);
  }
  // (b) warm: pools kept up by a build just finished (within the cooldown)
  const warm: number[] = [];
  for (let r = 0; r < rounds; r++) {
    await atZero();
    const prime = await stack.waitForFinal(await submit(['linux/amd64', 'linux/arm64']));
    if (prime.status !== 'succeeded') throw new Error(`prime: ${prime.error}`);
    const build = await stack.waitForFinal(await submit(['linux/amd64', 'linux/arm64']));
    warm.push(firstStart(build) - Date.parse(build.createdAt));
  }
  // (c) scale-down under a running build
  await atZero();
  const long = await submit(['linux/arm64'], 'slow/Containerfile');
  const short = await submit(['linux/arm64']);
  await waitFor(async () => (kube.replicas('archway-agent-arm64') ?? 0) === 2, 'the arm64 pool at 2');
  await waitFor(async () => kube.replicas('archway-agent-arm64') === 1, 'a scale-down to 1 while the long build runs', 60_000);
  const longRunningAtScaleDown = (await (await stack.api(`/api/v1/builds/${long}`)).json()) as Build;
  const results = [await stack.waitForFinal(long), await stack.waitForFinal(short)];
  const interrupted = results
    .flatMap((b) => b.tasks)
    .filter((t) => t.status !== 'built' || t.attempts !== 1 || (t.history ?? []).some((h) => h.outcome !== 'built'));

  const ms = (x: number) => `${Math.round(x)} ms`;
  console.log(`rounds ${rounds}, pools min 0 max 2 cooldown ${COOLDOWN}, autoscaler interval default (woken by queued jobs)`);
  console.log(
    `(a) created → first task started, from zero, minus controller start: median ${ms(median(cold))} [${cold.map(ms).join(', ')}]  (target ≤ 2000 ms)`,
  );
  console.log(`    controller start cost (scale call → first heartbeat): median ${ms(median(costs))}`);
  console.log(`(b) created → first task started, agents running: median ${ms(median(warm))} [${warm.map(ms).join(', ')}]`);
  console.log(`(a)/(b) ${(median(cold) / Math.max(1, median(warm))).toFixed(2)};  (a) − (b) ${ms(median(cold) - median(warm))} (the autoscaler's share)`);
  console.log(
    `(c) scale-down 2 → 1 while the long build was ${longRunningAtScaleDown.status}: ${interrupted.length === 0 ? 'no build interrupted' : `INTERRUPTED ${interrupted.map((t) => `${t.platform} ${t.status} attempts ${t.attempts}`).join('; ')}`}`,
  );
  if (interrupted.length > 0 || median(cold) > 2000) process.exitCode = 1;
} finally {
  await controller?.stop();
  await stack.stop();
  await kube.close();
  redis.disconnect();
  await svc.stop();
}
