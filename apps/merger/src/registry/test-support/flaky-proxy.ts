import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FlakyProxy {
  /** host:port of the proxy. */
  host: string;
  /** Every request seen, as `METHOD path` (query left out). */
  seen: string[];
  /** Decides per request: a status (or a status and a body) to fail with (request body drained first), or null to forward. */
  failWith: (req: IncomingMessage) => number | { status: number; body: string } | null;
  /** Forwards a request only once this resolves (e.g. to hold uploads and count them in flight). */
  hold: (req: IncomingMessage) => Promise<void> | null;
  close(): Promise<void>;
}

/**
 * A real HTTP reverse proxy in front of a real registry that answers chosen requests with an
 * error instead: how a registry behind a flaky load balancer behaves.
 */
export async function startFlakyProxy(target: string): Promise<FlakyProxy> {
  const [targetHost, targetPort] = target.split(':');
  const proxy: FlakyProxy = { host: '', seen: [], failWith: () => null, hold: () => null, close: async () => {} };
  const server: Server = createServer(async (req, res) => {
    proxy.seen.push(`${req.method} ${req.url?.split('?')[0]}`);
    const failure = proxy.failWith(req);
    if (failure !== null) {
      const { status, body } = typeof failure === 'number' ? { status: failure, body: 'injected failure\n' } : failure;
      req.resume();
      req.on('end', () => res.writeHead(status, { 'content-type': typeof failure === 'number' ? 'text/plain' : 'application/json' }).end(body));
      return;
    }
    await proxy.hold(req);
    const upstream = request(
      { host: targetHost, port: Number(targetPort), method: req.method, path: req.url, headers: { ...req.headers, host: target } },
      (up) => {
        // Locations point at the registry itself; keep the client on the proxy.
        const headers = { ...up.headers };
        if (typeof headers.location === 'string') headers.location = headers.location.replace(`//${target}`, `//${proxy.host}`);
        res.writeHead(up.statusCode ?? 502, headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy.close = () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return proxy;
}
