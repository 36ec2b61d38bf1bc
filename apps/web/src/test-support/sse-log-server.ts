import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export const lineId = (n: number) => `1700000000000-${n}`;

export interface ScriptedLogServer {
  url: string;
  /** Last-Event-ID header of each connection, in order (undefined: none sent). */
  lastEventIds: (string | undefined)[];
  close(): Promise<void>;
}

/**
 * A real HTTP server speaking the API's log-stream format (`id:`, `event: line`, `event: end`)
 * for `total` lines. The first connection is cut after `dropAfter` lines. A reconnection resumes
 * from its Last-Event-ID, but `overlap` lines earlier than asked: a server (or proxy) that
 * replays is exactly what the client must absorb without duplicating lines.
 */
export async function scriptedLogServer(opts: { total: number; dropAfter: number; overlap: number; status?: number }): Promise<ScriptedLogServer> {
  const lastEventIds: (string | undefined)[] = [];
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const header = req.headers['last-event-id'];
    lastEventIds.push(typeof header === 'string' ? header : undefined);
    if (opts.status) {
      res.writeHead(opts.status, { 'content-type': 'application/json' }).end('{"error":"unauthorized","message":"not signed in"}');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.write('retry: 20\n\n');
    const first = lastEventIds.length === 1;
    const resumeAfter = typeof header === 'string' ? Number(header.split('-')[1]) : 0;
    const start = Math.max(1, resumeAfter + 1 - opts.overlap);
    for (let n = start; n <= opts.total; n++) {
      res.write(`id: ${lineId(n)}\nevent: line\ndata: line ${n}\n\n`);
      if (first && n === opts.dropAfter) {
        // Cut the connection once the lines so far are on the wire: a drop, not a clean end.
        res.write('', () => res.socket?.destroy());
        return;
      }
    }
    res.end('event: end\ndata: \n\n');
  };
  const server: Server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/api/v1/builds/b/logs/stream?platform=linux%2Famd64`,
    lastEventIds,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
