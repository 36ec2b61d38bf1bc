import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export const HEARTBEAT_MS = 15_000;

export interface SseStream {
  /** Aborted when the client goes away or the stream is closed. */
  readonly signal: AbortSignal;
  /** Writes one event; resolves once the socket has taken it (back-pressure). */
  send(event: string, data: string, id?: string): Promise<void>;
  close(): void;
}

/** `data:` lines of one event: a payload with line breaks becomes several `data:` fields. */
export function formatEvent(event: string, data: string, id?: string): string {
  let out = id !== undefined ? `id: ${id}\n` : '';
  out += `event: ${event}\n`;
  for (const line of data.split(/\r\n|\r|\n/)) out += `data: ${line}\n`;
  return `${out}\n`;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Open event streams, ended when the server closes (they would hold close() open forever). */
    sseStreams: Set<SseStream>;
  }
}

/** Lets `app.close()` end open streams first; call once on the root instance. */
export function installSse(app: FastifyInstance): void {
  app.decorate('sseStreams', new Set<SseStream>());
  app.addHook('preClose', async () => {
    for (const stream of app.sseStreams) stream.close();
  });
}

/**
 * Takes over the response for Server-Sent Events: headers, a heartbeat comment every
 * `heartbeatMs` (keeps proxies from timing out idle streams), and an AbortSignal for cleanup.
 */
export function openSse(request: FastifyRequest, reply: FastifyReply, heartbeatMs = HEARTBEAT_MS): SseStream {
  const controller = new AbortController();
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  // Tells EventSource how long to wait before reconnecting; also flushes the headers.
  res.write('retry: 3000\n\n');

  const heartbeat = setInterval(() => {
    if (!res.writableEnded) res.write(': heartbeat\n\n');
  }, heartbeatMs);
  heartbeat.unref();

  const streams = request.server.sseStreams;
  const close = () => {
    if (controller.signal.aborted) return;
    streams.delete(stream);
    clearInterval(heartbeat);
    controller.abort();
    if (!res.writableEnded) res.end();
  };
  // The response's 'close' (not the request's) fires when the client disconnects.
  res.on('close', close);
  res.on('error', close);

  const stream: SseStream = {
    signal: controller.signal,
    close,
    send(event, data, id) {
      if (controller.signal.aborted) return Promise.resolve();
      if (res.write(formatEvent(event, data, id))) return Promise.resolve();
      return new Promise((resolve) => {
        const done = () => {
          res.off('drain', done);
          controller.signal.removeEventListener('abort', done);
          resolve();
        };
        res.once('drain', done);
        controller.signal.addEventListener('abort', done, { once: true });
      });
    },
  };
  streams.add(stream);
  return stream;
}
