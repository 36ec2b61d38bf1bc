import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import { selfSignedCert } from '../support/self-signed.ts';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { nodeObject, scaleObject, statefulSetObject, statusObject, type NodeSpec, type PoolRecord, type PoolSpec } from './kube-objects.ts';

/**
 * A stand-in for a Kubernetes API server (none can run here): a local HTTP server speaking the
 * real wire format for exactly the calls Archway makes — list nodes, list statefulsets (label
 * selector), get and merge-patch `statefulsets/scale` (with the resourceVersion precondition) —
 * and answering 401/403/404/409/415/422 with `Status` objects as the real one does. Clients reach
 * it through @kubernetes/client-node and the kubeconfig file it writes. Emits `scaled` (name,
 * replicas) whenever a pool's spec.replicas changes: the test controller starts agents from it.
 */
export class KubeStandIn extends EventEmitter {
  readonly namespace: string;
  readonly token = `stand-in-${randomUUID()}`;
  url = '';
  kubeconfig = '';
  /** Every request, `VERB path` (method and path without query), in order. */
  readonly requests: string[] = [];
  private readonly nodes = new Map<string, NodeSpec>();
  private readonly pools = new Map<string, PoolRecord>();
  private readonly forbidden = new Set<string>();
  private readonly conflicts = new Set<string>();
  private readonly vanishing = new Set<string>();
  private version = 1;
  private server: Server | undefined;

  constructor(namespace = 'archway') {
    super();
    this.namespace = namespace;
  }

  /**
   * Listens with TLS (a certificate made for 127.0.0.1 now, as the client refuses plain HTTP) on
   * a free loopback port, and writes a kubeconfig trusting that certificate into `dir`.
   */
  async start(dir: string): Promise<this> {
    const { keyPem, certPem } = await selfSignedCert(dir, 'kube-stand-in', 'kube-stand-in', '127.0.0.1');
    const server = createServer({ key: keyPem, cert: certPem }, (req, res) => void this.handle(req, res));
    this.server = server;
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    this.url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    this.kubeconfig = join(dir, 'kubeconfig');
    const config = [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      `- name: stand-in\n  cluster:\n    server: ${this.url}\n    certificate-authority-data: ${Buffer.from(certPem).toString('base64')}`,
      'users:',
      `- name: stand-in\n  user:\n    token: ${this.token}`,
      'contexts:',
      `- name: stand-in\n  context:\n    cluster: stand-in\n    user: stand-in\n    namespace: ${this.namespace}`,
      'current-context: stand-in',
      '',
    ].join('\n');
    await writeFile(this.kubeconfig, config, { mode: 0o600 });
    return this;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }

  private rv(): string {
    return String(++this.version);
  }

  addNode(n: NodeSpec): void {
    this.nodes.set(n.name, n);
    this.rv();
  }
  addPool(p: PoolSpec): void {
    this.pools.set(p.name, { spec: p, uid: randomUUID(), replicas: p.replicas ?? 0, running: 0, ready: 0, resourceVersion: this.rv(), generation: 1 });
  }
  removePool(name: string): void {
    this.pools.delete(name);
  }
  replicas(name: string): number | undefined {
    return this.pools.get(name)?.replicas;
  }
  /** What the controller reports: pods running and ready (status.replicas, status.readyReplicas). */
  setStatus(name: string, running: number, ready: number): void {
    const p = this.pools.get(name);
    if (!p) return;
    p.running = running;
    p.ready = ready;
    p.resourceVersion = this.rv();
  }
  /** Someone else (kubectl scale) sets the replicas. */
  scaleFromOutside(name: string, replicas: number): void {
    this.setReplicas(this.pools.get(name)!, replicas);
  }
  /** The ServiceAccount lacks `verb` on `resource` (`patch`, `statefulsets/scale`) until allow(). */
  forbid(verb: string, resource: string): void {
    this.forbidden.add(`${verb} ${resource}`);
  }
  allow(verb: string, resource: string): void {
    this.forbidden.delete(`${verb} ${resource}`);
  }
  /** The next patch of this pool finds it changed by someone else in between (kubectl scale +1). */
  conflictOnNextPatch(name: string): void {
    this.conflicts.add(name);
  }

  /** The pool is deleted just before its next patch arrives (deleted between list and scale). */
  goneOnNextPatch(name: string): void {
    this.vanishing.add(name);
  }

  private setReplicas(p: PoolRecord, replicas: number): void {
    if (p.replicas === replicas) return;
    p.replicas = replicas;
    p.generation++;
    p.resourceVersion = this.rv();
    this.emit('scaled', p.spec.name, replicas);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    this.requests.push(`${req.method} ${url.pathname}`);
    const send = (code: number, body: unknown) => {
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.headers.authorization !== `Bearer ${this.token}`) return send(401, statusObject(401, 'Unauthorized', 'Unauthorized'));
    const body = await new Promise<string>((r) => {
      let b = '';
      req.on('data', (c) => (b += c));
      req.on('end', () => r(b));
    });
    const user = `system:serviceaccount:${this.namespace}:archway-api`;
    const refuse = (verb: string, resource: string, group: string, name?: string) => {
      const what = group ? `${resource.split('/')[0]}.${group}` : resource;
      const scope = group || resource !== 'nodes' ? ` in the namespace "${this.namespace}"` : ' at the cluster scope';
      send(
        403,
        statusObject(
          403,
          'Forbidden',
          `${what}${name ? ` "${name}"` : ''} is forbidden: User "${user}" cannot ${verb} resource "${resource}" in API group "${group}"${scope}`,
          { ...(name ? { name } : {}), group, kind: resource.split('/')[0] },
        ),
      );
    };
    const ns = this.namespace;
    if (req.method === 'GET' && url.pathname === '/api/v1/nodes') {
      if (this.forbidden.has('list nodes')) return refuse('list', 'nodes', '');
      const items = [...this.nodes.values()].map((n) => nodeObject(n, String(this.version)));
      return send(200, { kind: 'NodeList', apiVersion: 'v1', metadata: { resourceVersion: String(this.version) }, items });
    }
    if (req.method === 'GET' && url.pathname === `/apis/apps/v1/namespaces/${ns}/statefulsets`) {
      if (this.forbidden.has('list statefulsets')) return refuse('list', 'statefulsets', 'apps');
      const selector = url.searchParams.get('labelSelector') ?? '';
      const items = [...this.pools.values()].map((p) => statefulSetObject(p, ns)).filter((s) => matches(s.metadata.labels, selector));
      return send(200, { kind: 'StatefulSetList', apiVersion: 'apps/v1', metadata: { resourceVersion: String(this.version) }, items });
    }
    const m = new RegExp(`^/apis/apps/v1/namespaces/${ns}/statefulsets/([^/]+)/scale$`).exec(url.pathname);
    if (m) {
      const name = decodeURIComponent(m[1]!);
      const verb = req.method === 'PATCH' ? 'patch' : req.method === 'GET' ? 'get' : undefined;
      if (!verb) return send(405, statusObject(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`));
      if (this.forbidden.has(`${verb} statefulsets/scale`)) return refuse(verb, 'statefulsets/scale', 'apps', name);
      if (verb === 'patch' && this.vanishing.delete(name)) this.pools.delete(name);
      const pool = this.pools.get(name);
      if (!pool) return send(404, statusObject(404, 'NotFound', `statefulsets.apps "${name}" not found`, { name, group: 'apps', kind: 'statefulsets' }));
      if (verb === 'get') return send(200, scaleObject(pool, ns));
      const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
      if (type !== 'application/merge-patch+json')
        return send(
          415,
          statusObject(
            415,
            'UnsupportedMediaType',
            `the body of the request was in an unknown format - accepted media types include: application/merge-patch+json`,
          ),
        );
      let patch: { metadata?: { resourceVersion?: string }; spec?: { replicas?: unknown } };
      try {
        patch = JSON.parse(body);
      } catch (err) {
        return send(400, statusObject(400, 'BadRequest', `error decoding patch: ${(err as Error).message}`));
      }
      if (this.conflicts.delete(name)) this.setReplicas(pool, pool.replicas + 1);
      const wanted = patch.metadata?.resourceVersion;
      if (wanted !== undefined && wanted !== pool.resourceVersion) {
        return send(
          409,
          statusObject(
            409,
            'Conflict',
            `Operation cannot be fulfilled on statefulsets.apps "${name}": the object has been modified; please apply your changes to the latest version and try again`,
            { name, group: 'apps', kind: 'statefulsets' },
          ),
        );
      }
      const replicas = patch.spec?.replicas;
      if (replicas !== undefined && (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0))
        return send(
          422,
          statusObject(
            422,
            'Invalid',
            `Scale.autoscaling "${name}" is invalid: spec.replicas: Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0`,
          ),
        );
      if (typeof replicas === 'number') this.setReplicas(pool, replicas);
      return send(200, scaleObject(pool, ns));
    }
    send(404, statusObject(404, 'NotFound', 'the server could not find the requested resource'));
  }
}

/** Label selectors of the forms `key`, `key=value`, `key!=value`, comma-joined. */
function matches(labels: Record<string, string>, selector: string): boolean {
  return selector
    .split(',')
    .filter(Boolean)
    .every((term) => {
      const ne = /^([^!=]+)!=(.*)$/.exec(term);
      if (ne) return labels[ne[1]!] !== ne[2];
      const eq = /^([^=]+)==?(.*)$/.exec(term);
      if (eq) return labels[eq[1]!] === eq[2];
      return term in labels;
    });
}
