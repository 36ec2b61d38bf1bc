import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { NODE_ARCH_LABEL, POOL_ANNOTATIONS, POOL_LABELS, parseBytes, parseDuration, platformParts, platformOrUndefined } from '@archway/contract';
import { poolBounds } from '../../apps/api/src/workers/fleet/cluster.ts';
import { parseQuantity } from '../../apps/api/src/workers/fleet/quantity.ts';
import { NODE_FLAGS } from '../../apps/launcher/src/children.ts';

const run = promisify(execFile);
const root = new URL('../../', import.meta.url).pathname;
const OVERLAYS = ['homelab', 'production'];

// No Kubernetes API server runs here: each overlay is rendered with `kubectl kustomize` (offline)
// and every object validated against the Kubernetes OpenAPI schemas by kubernetes-models; the
// checks below are what the code needs of them, with the constants the code uses.
type Obj = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [k: string]: any;
};
const rendered = new Map<string, Obj[]>();

async function render(dir: string): Promise<Obj[]> {
  const { stdout } = await run('kubectl', ['kustomize', dir], { maxBuffer: 16 * 1024 * 1024 });
  return parseAllDocuments(stdout).map((d) => {
    expect(d.errors).toEqual([]);
    return d.toJS() as Obj;
  });
}

beforeAll(async () => {
  for (const o of OVERLAYS) rendered.set(o, await render(join(root, 'deploy/kubernetes/overlays', o)));
}, 60_000);

const of = (o: string, kind: string) => rendered.get(o)!.filter((d) => d.kind === kind);
const named = (o: string, kind: string, name: string) => of(o, kind).find((d) => d.metadata.name === name)!;
const pools = (o: string) => of(o, 'StatefulSet').filter((s) => s.metadata.labels?.[POOL_LABELS.platform]);
const workloads = (o: string) => rendered.get(o)!.filter((d) => ['Deployment', 'StatefulSet'].includes(d.kind));
const envOf = (c: any) => new Map<string, any>((c.env ?? []).map((e: any) => [e.name, e.value ?? e.valueFrom]));

/** Every `ARCHWAY_*`, `AWS_*` … name that non-test code of the apps and packages reads. */
async function variablesReadByTheCode(): Promise<Set<string>> {
  const names = new Set<string>();
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory() && !['node_modules', 'generated', 'dist'].includes(e.name)) await walk(p);
      else if (e.isFile() && /\.tsx?$/.test(e.name) && !/\.test\.tsx?$/.test(e.name)) {
        for (const m of (await readFile(p, 'utf8')).matchAll(
          /\b(ARCHWAY_[A-Z0-9_]+|AWS_[A-Z0-9_]+|REDIS_URL|DATABASE_URL|REGISTRY_AUTH_FILE|DOCKER_CONFIG|HOST|PORT)\b/g,
        ))
          names.add(m[1]!);
      }
    }
  };
  for (const d of ['apps/api/src', 'apps/agent/src', 'apps/merger/src', 'apps/launcher/src', 'packages/shared']) await walk(join(root, d));
  return names;
}

describe.each(OVERLAYS)('deploy/kubernetes/overlays/%s', (overlay) => {
  it('renders, and every object validates against the Kubernetes schemas (kubernetes-models)', async () => {
    const docs = rendered.get(overlay)!;
    expect(docs.length).toBeGreaterThan(20);
    for (const doc of docs) {
      const mod = (await import(/* @vite-ignore */ `kubernetes-models/${doc.apiVersion}`)) as Record<string, new (d: unknown) => { validate(): void }>;
      const Model = mod[doc.kind];
      expect(Model, `${doc.apiVersion} ${doc.kind}`).toBeDefined();
      expect(() => new Model!(doc).validate(), `${doc.kind}/${doc.metadata.name}`).not.toThrow();
      expect(
        doc.kind === 'Namespace' || ['ClusterRole', 'ClusterRoleBinding'].includes(doc.kind) || doc.metadata.namespace === 'archway',
        doc.metadata.name,
      ).toBe(true);
    }
  });

  it('gives the API exactly the RBAC the autoscaler uses: list statefulsets, get/patch the pools’ scale, list nodes', () => {
    const api = named(overlay, 'Deployment', 'archway-api');
    const sa = api.spec.template.spec.serviceAccountName;
    const poolNames = pools(overlay)
      .map((p) => p.metadata.name)
      .sort();
    expect(poolNames).toEqual(['archway-agent-amd64', 'archway-agent-arm64']);
    const role = named(overlay, 'Role', 'archway-autoscaler');
    expect(role.rules).toEqual([
      { apiGroups: ['apps'], resources: ['statefulsets'], verbs: ['list'] },
      { apiGroups: ['apps'], resources: ['statefulsets/scale'], resourceNames: poolNames, verbs: ['get', 'patch'] },
    ]);
    expect(named(overlay, 'ClusterRole', 'archway-node-reader').rules).toEqual([{ apiGroups: [''], resources: ['nodes'], verbs: ['list'] }]);
    for (const [kind, name] of [
      ['RoleBinding', 'archway-autoscaler'],
      ['ClusterRoleBinding', 'archway-node-reader'],
    ] as const) {
      expect(named(overlay, kind, name).subjects).toEqual([{ kind: 'ServiceAccount', name: sa, namespace: 'archway' }]);
    }
    // Nothing else is bound to anything, and no other workload can talk to the Kubernetes API.
    expect(of(overlay, 'RoleBinding').length + of(overlay, 'ClusterRoleBinding').length).toBe(2);
    for (const w of workloads(overlay).filter((w) => w.metadata.name !== 'archway-api')) {
      expect(w.spec.template.spec.serviceAccountName ?? 'default', w.metadata.name).not.toBe(sa);
    }
  });

  it('pins one pool per architecture with the labels and annotations the autoscaler reads', () => {
    for (const pool of pools(overlay)) {
      const platform = platformOrUndefined(pool.metadata.labels![POOL_LABELS.platform]!.replace(/-/g, '/'))!;
      expect(platform, pool.metadata.name).toBeDefined();
      const pod = pool.spec.template.spec;
      expect(pod.nodeSelector).toEqual({ [NODE_ARCH_LABEL]: platformParts(platform).architecture });
      expect(envOf(pod.containers[0]).get('ARCHWAY_AGENT_PLATFORM')).toBe(platform);
      expect(pool.spec.selector.matchLabels[POOL_LABELS.platform]).toBe(pool.metadata.labels![POOL_LABELS.platform]);
      const { bounds, problem } = poolBounds(pool.metadata.annotations ?? {}, { min: 9, max: 9, cooldownMs: 9 });
      expect(problem).toBeNull();
      for (const key of Object.values(POOL_ANNOTATIONS)) expect(pool.metadata.annotations, key).toHaveProperty([key]);
      expect(bounds.min).toBe(0);
      expect(bounds.max).toBeGreaterThan(0);
      // kubectl apply must not reset what the autoscaler set.
      expect(pool.spec.replicas).toBeUndefined();
      const pdb = of(overlay, 'PodDisruptionBudget').find(
        (b) => b.spec.selector.matchLabels[POOL_LABELS.platform] === pool.metadata.labels![POOL_LABELS.platform],
      );
      expect(pdb, `a PodDisruptionBudget for ${pool.metadata.name}`).toBeDefined();
    }
  });

  it('gives agents node-local build storage and resources consistent with their watermarks and drain', () => {
    for (const pool of pools(overlay)) {
      const pod = pool.spec.template.spec;
      const c = pod.containers[0];
      const env = envOf(c);
      const [claim] = pool.spec.volumeClaimTemplates;
      expect(claim.spec.accessModes).toEqual(['ReadWriteOnce']);
      expect(claim.spec.storageClassName).toMatch(/^[a-z0-9-]+$/);
      expect(claim.spec.storageClassName).not.toMatch(/nfs|ceph|efs|azurefile/);
      // The data dir (buildah storage, where the watermarks are measured) is the claim.
      expect(c.volumeMounts.find((m: any) => m.mountPath === env.get('ARCHWAY_AGENT_DATA_DIR'))?.name).toBe(claim.metadata.name);
      const claimBytes = parseQuantity(claim.spec.resources.requests.storage)!;
      const minFree = parseBytes(env.get('ARCHWAY_AGENT_MIN_FREE_SPACE'))!;
      const stopFree = parseBytes(env.get('ARCHWAY_AGENT_STOP_FREE_SPACE'))!;
      expect(stopFree).toBeLessThan(minFree);
      expect(claimBytes).toBeGreaterThan(4 * minFree); // room for a layer cache besides one build's need
      for (const r of ['requests', 'limits']) expect(parseQuantity(c.resources[r]['ephemeral-storage']), r).toBeGreaterThan(0);
      // Scale-down never cuts a build: the drain lasts the build's time limit, the grace period longer.
      const drain = parseDuration(env.get('ARCHWAY_AGENT_DRAIN_TIMEOUT'))!;
      expect(drain).toBeGreaterThanOrEqual(parseDuration(env.get('ARCHWAY_AGENT_BUILD_TIMEOUT'))!);
      expect(pod.terminationGracePeriodSeconds * 1000).toBeGreaterThan(drain);
      expect(c.securityContext.privileged).toBeUndefined();
      expect(pod.automountServiceAccountToken).toBe(false);
    }
  });

  it('lets agents reach only DNS, Redis, the object store and git/registry ports', () => {
    const np = named(overlay, 'NetworkPolicy', 'archway-agent');
    expect(np.spec.podSelector.matchLabels).toEqual({ app: 'archway-agent' });
    expect(np.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(np.spec.ingress).toEqual([]);
    const ports = np.spec.egress.flatMap((r: any) => r.ports.map((p: any) => p.port)).sort((a: number, b: number) => a - b);
    expect(new Set(ports)).toEqual(new Set(overlay === 'homelab' ? [22, 53, 443, 6379, 9000, 9418] : [22, 53, 443, 6379, 9418]));
  });

  it('keeps credentials in Secrets: registry push only for the merger, as kubernetes.io/dockerconfigjson', () => {
    expect(named(overlay, 'Secret', 'archway-registry-auth').type).toBe('kubernetes.io/dockerconfigjson');
    for (const name of ['archway-db', 'archway-s3', 'archway-agent-key', 'archway-secret-key', 'archway-admin-token'])
      expect(named(overlay, 'Secret', name)).toBeDefined();
    for (const w of workloads(overlay)) {
      const secrets = (w.spec.template.spec.volumes ?? []).map((v: any) => v.secret?.secretName).filter(Boolean);
      expect(secrets.includes('archway-registry-auth'), w.metadata.name).toBe(w.metadata.name === 'archway-merger');
    }
  });

  it('sets only variables the code reads, and starts entry points the bundle makes with their node flags', async () => {
    const read = await variablesReadByTheCode();
    const known = (name: string) => read.has(name) || (name.endsWith('_FILE') && read.has(name.slice(0, -5)));
    const ours = workloads(overlay).filter((w) => w.spec.template.spec.containers[0].image.includes('archway:'));
    const set = [...Object.keys(named(overlay, 'ConfigMap', 'archway').data)];
    for (const w of ours) for (const c of [...w.spec.template.spec.containers, ...(w.spec.template.spec.initContainers ?? [])]) set.push(...envOf(c).keys());
    expect(set.filter((name) => !known(name))).toEqual([]);
    const out = await mkdtemp(join(inject('tmpRoot'), 'bundle-'));
    await run(process.execPath, [join(root, 'scripts/bundle.mjs'), out], { cwd: root });
    for (const w of ours) {
      for (const c of [...w.spec.template.spec.containers, ...(w.spec.template.spec.initContainers ?? [])]) {
        expect(c.command[0]).toBe('node');
        const script = c.command.find((a: string) => a.startsWith('dist/')) as string;
        const entry = script.replace(/^dist\//, '');
        await expect(stat(join(out, entry)), `${w.metadata.name}: ${script}`).resolves.toBeTruthy();
        // The same node flags as the launcher gives that process (apps/launcher/src/children.ts).
        const role = entry.replace(/\.mjs$/, '') as keyof typeof NODE_FLAGS;
        expect(c.command.slice(1, c.command.indexOf(script)), `${w.metadata.name}: node flags`).toEqual(NODE_FLAGS[role] ?? []);
      }
    }
  }, 60_000);
});

describe('deploy/kubernetes/overlays/homelab with deploy/registry-cache', () => {
  it('runs the pull-through cache and lets the agent pools reach it through their registries.conf', () => {
    const service = named('homelab', 'Service', 'registry-cache');
    expect(service, 'the cache Service').toBeDefined();
    const cache = named('homelab', 'Deployment', 'registry-cache');
    expect(cache.spec.template.metadata.labels).toMatchObject(service.spec.selector);
    const conf: string = named('homelab', 'ConfigMap', 'archway-agent-registries').data['registries.conf'];
    expect(conf).toContain(`location = "${service.metadata.name}:${service.spec.ports[0].port}"`);
    expect(pools('homelab')).toHaveLength(2);
    for (const pool of pools('homelab')) {
      const pod = pool.spec.template.spec;
      const c = pod.containers[0];
      const path: string = envOf(c).get('ARCHWAY_AGENT_REGISTRIES_CONF');
      expect(path, pool.metadata.name).toMatch(/\/registries\.conf$/);
      const mount = c.volumeMounts.find((m: any) => m.mountPath === dirname(path));
      expect(pod.volumes.find((v: any) => v.name === mount?.name)?.configMap, pool.metadata.name).toEqual({ name: 'archway-agent-registries' });
      // Optional credentials: the overlay applies without their Secrets, and no *_FILE the agent
      // insists on (it refuses to start when one is missing) points into a mount that may be empty.
      const optional = pod.volumes.filter((v: any) => v.secret?.optional).map((v: any) => v.name);
      expect(optional.sort()).toEqual(['cache-auth', 'pull-auth']);
      const optionalDirs = c.volumeMounts.filter((m: any) => optional.includes(m.name)).map((m: any) => `${m.mountPath}/`);
      for (const [name, value] of envOf(c))
        if (name.endsWith('_FILE'))
          expect(
            optionalDirs.some((d: string) => String(value).startsWith(d)),
            name,
          ).toBe(false);
    }
    // NetworkPolicies add up: one more rule lets the agents (only) reach the cache's port.
    const np = named('homelab', 'NetworkPolicy', 'archway-agent-registry-cache');
    expect(np.spec.podSelector.matchLabels).toEqual(named('homelab', 'NetworkPolicy', 'archway-agent').spec.podSelector.matchLabels);
    expect(np.spec.egress).toEqual([{ to: [{ podSelector: { matchLabels: service.spec.selector } }], ports: [{ protocol: 'TCP', port: 5000 }] }]);
    expect(cache.spec.template.spec.containers[0].ports[0]).toMatchObject({ containerPort: 5000, name: service.spec.ports[0].targetPort });
  });

  it('leaves the production overlay without the cache', () => {
    expect(of('production', 'Service').map((s) => s.metadata.name)).not.toContain('registry-cache');
  });
});

describe.each(OVERLAYS)('deploy/monitoring/kubernetes/agent-metrics-patch.yaml on overlays/%s', (overlay) => {
  it('gives every agent pool the metrics port the PodMonitor scrapes', async () => {
    // As its header says: copied into an overlay over this one, listed under patchesStrategicMerge.
    const dir = await mkdtemp(join(inject('tmpRoot'), 'metrics-overlay-'));
    await copyFile(join(root, 'deploy/monitoring/kubernetes/agent-metrics-patch.yaml'), join(dir, 'agent-metrics-patch.yaml'));
    const base = relative(dir, join(root, 'deploy/kubernetes/overlays', overlay)); // kustomize refuses absolute bases
    await writeFile(join(dir, 'kustomization.yaml'), `bases:\n  - ${base}\npatchesStrategicMerge:\n  - agent-metrics-patch.yaml\n`);
    const patched = (await render(dir)).filter((d) => d.kind === 'StatefulSet' && d.metadata.labels?.[POOL_LABELS.platform]);
    const podMonitor = parseAllDocuments(await readFile(join(root, 'deploy/monitoring/kubernetes/pod-monitor-agents.yaml'), 'utf8'))[0]!.toJS();
    const port = podMonitor.spec.podMetricsEndpoints[0].port;
    expect(patched.map((p) => p.metadata.name).sort()).toEqual(
      pools(overlay)
        .map((p) => p.metadata.name)
        .sort(),
    );
    for (const pool of patched) {
      expect(podMonitor.spec.selector.matchExpressions[0].values).toContain(pool.spec.template.metadata.labels.app);
      const c = pool.spec.template.spec.containers[0];
      const metrics = c.ports?.find((p: any) => p.name === port);
      expect(metrics, pool.metadata.name).toBeDefined();
      expect(envOf(c).get('ARCHWAY_AGENT_METRICS_PORT')).toBe(String(metrics.containerPort));
      expect(parseDuration(envOf(c).get('ARCHWAY_METRICS_PUSH_INTERVAL'))).toBe(0); // or every series counts twice
      // The patch adds to the pool, it does not replace what the base set.
      expect(envOf(c).get('ARCHWAY_AGENT_PLATFORM')).toBe(
        envOf(named(overlay, 'StatefulSet', pool.metadata.name).spec.template.spec.containers[0]).get('ARCHWAY_AGENT_PLATFORM'),
      );
    }
  }, 60_000);
});
