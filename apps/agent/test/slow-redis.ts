/**
 * A TCP proxy in front of the test Redis that holds every reply for `delayMs` (in order): a real
 * slow Redis for the agent, so its log flushes lag behind a chatty build.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface SlowRedis {
  url: string;
  close: () => Promise<void>;
}

export async function slowRedis(redisUrl: string, delayMs: number): Promise<SlowRedis> {
  const target = new URL(redisUrl);
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(Number(target.port || 6379), target.hostname);
    sockets.add(client).add(upstream);
    client.pipe(upstream);
    // Replies go out one after another, each `delayMs` after the previous one was released.
    let queue: Promise<void> = Promise.resolve();
    upstream.on('data', (chunk: Buffer) => {
      queue = queue.then(() => new Promise<void>((r) => setTimeout(r, delayMs))).then(() => void (client.writable && client.write(chunk)));
    });
    upstream.on('end', () => void queue.then(() => client.end()));
    const drop = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address() as { port: number };
  const url = new URL(redisUrl);
  url.hostname = '127.0.0.1';
  url.port = String(addr.port);
  return {
    url: url.toString(),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
