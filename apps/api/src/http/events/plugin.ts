import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../../deps.ts';
import { ServiceUnavailableError } from '../../infra/errors.ts';
import { openSse, type SseStream } from '../../infra/sse/sse.ts';
import { BuildChangeHub } from './hub.ts';
import { describeRoute } from '../../infra/openapi/describe.ts';

const schema = describeRoute({
  tags: ['events'],
  summary: 'Every change of any build, live, as Server-Sent Events',
  description: 'Each `build` event carries the whole Build object as JSON.',
  answers: { 200: { type: 'text/event-stream', description: 'Server-Sent Events (`event: build`)' } },
});

const MAX_BACKLOG = 1000;

/** `GET /api/v1/events`: every change of any build, as `event: build` with the Build JSON. */
export async function eventsPlugin(app: FastifyInstance, { deps }: { deps: AppDeps }): Promise<void> {
  const hub = new BuildChangeHub({ ...deps, onError: (err) => app.log.warn({ err }, 'build change not delivered') });
  app.addHook('onClose', async () => hub.close());

  app.get('/events', { schema }, async (request, reply) => {
    const queue: string[] = [];
    let sse: SseStream | undefined;
    let writing = false;
    // Sends in order, one at a time, respecting back-pressure of a slow client.
    const flush = async () => {
      if (writing || !sse) return;
      writing = true;
      while (queue.length > 0 && !sse.signal.aborted) await sse.send('build', queue.shift()!);
      writing = false;
    };
    let unsubscribe: () => void;
    try {
      // Subscribe before answering, so a client that sees the 200 sees every later change.
      unsubscribe = await hub.subscribe((build) => {
        // A client this far behind is dropped; EventSource reconnects and reloads.
        if (queue.length >= MAX_BACKLOG) return sse?.close();
        queue.push(JSON.stringify(build));
        void flush();
      });
    } catch (err) {
      throw new ServiceUnavailableError(`live updates are unavailable (Redis: ${(err as Error).message})`);
    }
    sse = openSse(request, reply, deps.heartbeatMs);
    sse.signal.addEventListener('abort', () => unsubscribe(), { once: true });
    void flush();
  });
}
