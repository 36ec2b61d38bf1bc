import type { AddressInfo } from 'node:net';
import { Agent, EventSource } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendLogLines, endLog } from '@archway/runtime';
import { LogStore } from '../../apps/web/src/logs/log-store.ts';
import { connectLogStream, type EventSourceLike } from '../../apps/web/src/logs/log-stream.ts';
import { apiFixture, waitFor, type ApiFixture } from '../../apps/api/src/testing/fixture.ts';

/**
 * The dashboard's log client against the real API, Redis stream and session cookie: the
 * connection is cut mid-stream, lines keep arriving while it is away, and the viewer must end up
 * with every line exactly once.
 */
describe('live log resume through the real API (cookie auth, Last-Event-ID)', () => {
  let f: ApiFixture;
  let base: string;
  const lastEventIds: (string | undefined)[] = [];
  beforeAll(async () => {
    f = await apiFixture();
    f.app.addHook('onRequest', async (request) => {
      if (request.url.includes('/logs/stream')) {
        const h = request.headers['last-event-id'];
        lastEventIds.push(typeof h === 'string' ? h : undefined);
      }
    });
    await f.app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(f.app.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => f?.close());

  it('loses and repeats nothing across a dropped connection', async () => {
    const build = await f.prisma.build.create({
      data: {
        sourceUrl: 'https://git.example.com/team/app.git',
        ref: 'main',
        platforms: ['linux/amd64'],
        tags: [],
        push: false,
        status: 'running',
        tasks: { create: [{ platform: 'linux/amd64', status: 'running', attempts: 1 }] },
      },
      include: { tasks: true },
    });
    const task = build.tasks[0]!;
    const lines = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `\x1b[32mline ${from + i}\x1b[0m`);
    await appendLogLines(f.redis, f.prefix, task.id, 1, lines(1, 200));

    // Sign in like the browser and send the cookie the way it would (same origin).
    const session = await fetch(`${base}/api/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: f.token }),
    });
    expect(session.status).toBe(201);
    const cookie = session.headers.get('set-cookie')!.split(';')[0]!;
    const browser = new Agent().compose(
      (dispatch) => (opts, handler) => dispatch({ ...opts, headers: { ...(opts.headers as Record<string, string>), cookie } }, handler),
    );

    const sockets = new Set<import('node:net').Socket>();
    f.app.server.on('connection', (s) => sockets.add(s));
    const store = new LogStore();
    const url = `${base}/api/v1/builds/${build.id}/logs/stream?platform=linux%2Famd64`;
    const disconnect = connectLogStream(url, store, (u) => new EventSource(u, { node: { dispatcher: browser } }) as unknown as EventSourceLike);
    await waitFor(async () => store.length === 200, 'the first 200 lines');

    // Cut every connection; lines keep coming while the client is away.
    for (const s of sockets) s.destroy();
    await appendLogLines(f.redis, f.prefix, task.id, 1, lines(201, 350));
    await waitFor(async () => store.length === 350, 'the lines written while disconnected', 15_000);
    await appendLogLines(f.redis, f.prefix, task.id, 1, lines(351, 400));
    await f.prisma.task.update({ where: { id: task.id }, data: { status: 'built' } });
    await endLog(f.redis, f.prefix, task.id, 1);
    await waitFor(async () => store.ended, 'the end of the log', 15_000);
    disconnect();

    expect(lastEventIds.length).toBeGreaterThanOrEqual(2);
    expect(lastEventIds[0]).toBeUndefined();
    expect(lastEventIds[1]).toMatch(/^\d+-\d+$/);
    expect(store.lines).toEqual(lines(1, 400));
    expect(store.error).toBeNull();
  });
});
