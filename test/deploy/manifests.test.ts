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
