import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';

// deploy/registry-cache/ can't be applied here (no API server): these checks keep its pieces
// pointing at each other — the agents' registries.conf at the cache's Service, the registry's
// config in proxy mode on the port the Service targets.
const file = new URL('../../deploy/registry-cache/pull-through.yaml', import.meta.url);

describe('deploy/registry-cache (Kubernetes pull-through cache)', () => {
  it('wires the agents registries.conf, the Service and the proxy-mode registry together', async () => {
    const docs = parseAllDocuments(await readFile(file, 'utf8')).map((d) => {
      expect(d.errors).toEqual([]);
      return d.toJS();
    });
    const byKind = (kind: string, name: string) => docs.find((d) => d.kind === kind && d.metadata.name === name);
    const service = byKind('Service', 'registry-cache');
    const port = service.spec.ports[0].port;
    const conf: string = byKind('ConfigMap', 'archway-agent-registries').data['registries.conf'];
    expect(conf).toMatch(/prefix = "docker\.io"[\s\S]*\[\[registry\.mirror\]\]\s*location = "registry-cache:(\d+)"/);
    expect(conf).toContain(`location = "registry-cache:${port}"`);
    const registryConfig = parse(byKind('ConfigMap', 'registry-cache-config').data['config.yml']);
    expect(registryConfig.proxy.remoteurl).toBe('https://registry-1.docker.io');
    expect(registryConfig.http.addr).toBe(':5000');
    const deployment = byKind('Deployment', 'registry-cache');
    const container = deployment.spec.template.spec.containers[0];
    expect(container.ports[0].containerPort).toBe(5000);
    expect(deployment.spec.template.metadata.labels).toMatchObject(service.spec.selector);
    expect(container.volumeMounts.map((m: { mountPath: string }) => m.mountPath)).toEqual([
      '/etc/docker/registry',
      registryConfig.storage.filesystem.rootdirectory,
    ]);
  });
});
