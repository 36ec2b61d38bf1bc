import { EventSource } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { lineId, scriptedLogServer, type ScriptedLogServer } from '../test-support/sse-log-server.ts';
import { LogStore } from './log-store.ts';
import { connectLogStream, type EventSourceLike } from './log-stream.ts';

// undici's EventSource follows the same spec as the browser's: it reconnects by itself and sends
// Last-Event-ID. No fake: a real HTTP server, a real SSE client.
const create = (url: string) => new EventSource(url) as unknown as EventSourceLike;

async function until(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('connectLogStream', () => {
  let server: ScriptedLogServer | undefined;
  afterEach(async () => server?.close());

  it('resumes after a dropped connection with Last-Event-ID: no line lost, none repeated', async () => {
    server = await scriptedLogServer({ total: 500, dropAfter: 137, overlap: 25 });
    const store = new LogStore();
    const disconnect = connectLogStream(server.url, store, create);
    await until(() => store.ended, 'the end event');
    disconnect();
    expect(server.lastEventIds).toEqual([undefined, lineId(137)]);
    expect(store.lines).toEqual(Array.from({ length: 500 }, (_, i) => `line ${i + 1}`));
    expect(store.lastId).toBe(lineId(500));
  });

  it('a second connection on the same store (tab switched back) adds nothing twice', async () => {
    server = await scriptedLogServer({ total: 50, dropAfter: 0, overlap: 0 });
    const store = new LogStore();
    connectLogStream(server.url, store, create);
    await until(() => store.ended, 'the first end');
    store.reopen(); // as after a retry: accept lines again
    const versionBefore = store.version();
    connectLogStream(server.url, store, create);
    await until(() => store.ended, 'the second end');
    expect(server.lastEventIds).toEqual([undefined, undefined]);
    expect(store.lines).toHaveLength(50);
    expect(store.version()).toBe(versionBefore + 1); // only the end, no new lines
  });

  it('reports a refused stream instead of retrying forever', async () => {
    server = await scriptedLogServer({ total: 1, dropAfter: 0, overlap: 0, status: 401 });
    const store = new LogStore();
    const disconnect = connectLogStream(server.url, store, create);
    await until(() => store.error !== null, 'the error');
    disconnect();
    expect(store.error).toMatch(/refused/);
    expect(store.lines).toEqual([]);
  });
});
