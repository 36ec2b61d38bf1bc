import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';
import { EXPOSITION_CONTENT_TYPE } from './exposition.ts';

/**
 * An optional `GET /metrics` listener for processes that otherwise accept no connections (agents,
 * the merger), for a Kubernetes PodMonitor. Answers nothing else; no token (it holds no secrets
 * and no build ids), so bind it where only the monitoring network reaches.
 */
export async function serveMetrics(registry: Registry, port: number, host = '0.0.0.0'): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: only GET /metrics is served here\n');
      return;
    }
    registry.metrics().then(
      (body) => res.writeHead(200, { 'content-type': EXPOSITION_CONTENT_TYPE }).end(body),
      (err: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`collecting metrics failed: ${err.message}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  server.unref();
  return server;
}
