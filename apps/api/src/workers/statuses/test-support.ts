import { createServer, type IncomingMessage, type Server } from 'node:http';

interface Received {
  method: string;
  path: string;
  auth: string | undefined;
  body: Record<string, unknown>;
}

/**
 * A local stand-in for the forges' commit status API: records every request and answers with
 * what the test queued (`failNext`), else 201 like GitHub and Forgejo.
 */
export function statusServer() {
  const received: Received[] = [];
  const failNext: Array<{ status: number; body: unknown }> = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => {
      received.push({ method: req.method!, path: req.url!, auth: req.headers.authorization, body: JSON.parse(data || '{}') });
      const answer = failNext.shift() ?? { status: 201, body: { id: received.length } };
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
    });
  });
  return { server, received, failNext };
}
