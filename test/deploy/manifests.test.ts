import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';

// The Kubernetes manifests can't be applied here (no API server); these checks keep them
// consistent with what the code needs: per-arch pinning, local storage, least privilege,
// registry credentials only for the merger, entry points that exist.
const dir = new URL('../../deploy/kubernetes/', import.meta.url).pathname;

async function load(): Promise<Array<{ file: string; doc: any }>> {
  const out: Array<{ file: string; doc: any }> = [];
  for (const file of (await readdir(dir)).filter((f) => f.endsWith('.yaml'))) {
    for (const d of parseAllDocuments(await readFile(join(dir, file), 'utf8'))) {
      expect(d.errors, file).toEqual([]);
      out.push({ file, doc: d.toJS() });
    }
  }
  return out;
}

/** Every `ARCHWAY_*`, `AWS_*` … name that non-test code of the apps and packages reads. */
async function variablesReadByTheCode(): Promise<Set<string>> {
  const root = new URL('../../', import.meta.url).pathname;
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

describe('deploy/kubernetes', () => {
  it('lists every manifest in the kustomization', async () => {
    const docs = await load();
    const kustomization = docs.find((d) => d.doc.kind === 'Kustomization')!.doc;
    const files = new Set(docs.map((d) => d.file).filter((f) => f !== 'kustomization.yaml'));
    expect(new Set(kustomization.resources)).toEqual(files);
  });

  it('pins one agent pool per architecture to local storage, without privileged pods', async () => {
    const agents = (await load()).filter((d) => d.doc.kind === 'DaemonSet').map((d) => d.doc);
    expect(agents.map((a) => a.spec.template.spec.nodeSelector['kubernetes.io/arch']).sort()).toEqual(['amd64', 'arm64']);
    for (const a of agents) {
      const pod = a.spec.template.spec;
      const c = pod.containers[0];
      expect(c.securityContext.privileged).toBeUndefined();
      const storage = pod.volumes.find((v: any) => v.name === 'storage');
      expect(storage.hostPath.path).toBeTruthy();
      expect(c.env.map((e: any) => e.name)).not.toContain('REGISTRY_AUTH_FILE');
      expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(300); // > default drain timeout (5m)
    }
  });

  it('sets only variables the code reads', async () => {
    const read = await variablesReadByTheCode();
    const docs = await load();
    const config = docs.find((d) => d.doc.kind === 'ConfigMap')!.doc;
    const set = [...Object.keys(config.data)];
    for (const { doc } of docs.filter((d) => ['Deployment', 'DaemonSet'].includes(d.doc.kind))) {
      set.push(...(doc.spec.template.spec.containers[0].env ?? []).map((e: any) => e.name));
    }
    // `NAME_FILE` variants are read through one helper (`${name}_FILE`), so they count with NAME.
    const known = (name: string) => read.has(name) || (name.endsWith('_FILE') && read.has(name.slice(0, -5)));
    expect(set.filter((name) => !known(name))).toEqual([]);
  });

  it('gives the API its secret key and admin token from Secrets and a data dir it can write', async () => {
    const api = (await load()).find((d) => d.doc.metadata?.name === 'archway-api' && d.doc.kind === 'Deployment')!.doc;
    const pod = api.spec.template.spec;
    const c = pod.containers[0];
    const env = new Map<string, string>(c.env.map((e: any) => [e.name, e.value]));
    const mountOf = (path: string) => c.volumeMounts.find((m: any) => path === m.mountPath || path.startsWith(`${m.mountPath}/`));
    const volumeOf = (path: string) => pod.volumes.find((v: any) => v.name === mountOf(path)?.name);
    for (const name of ['ARCHWAY_SECRET_KEY_FILE', 'ARCHWAY_ADMIN_TOKEN_FILE']) expect(volumeOf(env.get(name)!)?.secret?.secretName, name).toBeTruthy();
    // Runs as a non-root user: the data dir must be a volume, not the image's root-owned tree.
    expect(c.securityContext.runAsNonRoot).toBe(true);
    const data = volumeOf(env.get('ARCHWAY_DATA_DIR')!);
    expect(data?.emptyDir ?? data?.persistentVolumeClaim).toBeTruthy();
  });

  it('gives registry credentials to the merger only, and starts entry points that exist', async () => {
    const docs = (await load()).filter((d) => ['Deployment', 'DaemonSet'].includes(d.doc.kind));
    for (const { doc } of docs) {
      const c = doc.spec.template.spec.containers[0];
      const entry = c.command.at(-1) as string;
      await expect(readFile(new URL(`../../${entry}`, import.meta.url)), entry).resolves.toBeTruthy();
      const secrets = (doc.spec.template.spec.volumes ?? []).map((v: any) => v.secret?.secretName).filter(Boolean);
      expect(secrets.includes('archway-registry-auth'), doc.metadata.name).toBe(doc.metadata.name === 'archway-merger');
    }
  });
});
