import type { LogStore } from './log-store.ts';

/** The part of an SSE message the log stream reads. */
export interface SseMessage {
  data: string;
  lastEventId: string;
}
/** The part of EventSource the log stream uses (the browser's, or undici's in Node tests). */
export interface EventSourceLike {
  readonly readyState: number;
  addEventListener(type: string, listener: (ev: SseMessage) => void): void;
  close(): void;
}
export type EventSourceFactory = (url: string) => EventSourceLike;

// Typed structurally so this module also compiles where DOM types are absent (Node-side tests).
const browserEventSource: EventSourceFactory = (url) => new (globalThis as unknown as { EventSource: new (url: string) => EventSourceLike }).EventSource(url);

const CLOSED = 2;
const FLUSH_MS = 50;

/**
 * Feeds a task's SSE log stream into a LogStore. Lines are applied in batches (a build can
 * print thousands of lines a second; one render per line would stall the page). When the
 * connection drops, EventSource reconnects by itself and sends Last-Event-ID; the server resumes
 * after it, and the store drops anything it already has, so nothing is lost or repeated.
 * Returns a function that disconnects.
 */
export function connectLogStream(url: string, store: LogStore, create: EventSourceFactory = browserEventSource): () => void {
  if (store.ended) return () => {};
  const source = create(url);
  let pending: { id: string | null; line: string }[] = [];
  let timer: ReturnType<typeof setTimeout> | null = null;

  const flush = () => {
    timer = null;
    if (pending.length === 0) return;
    const batch = pending;
    pending = [];
    store.append(batch);
  };
  source.addEventListener('line', (ev) => {
    pending.push({ id: ev.lastEventId || null, line: ev.data });
    timer ??= setTimeout(flush, FLUSH_MS);
  });
  source.addEventListener('end', () => {
    if (timer) clearTimeout(timer);
    flush();
    store.end();
    source.close();
  });
  source.addEventListener('error', () => {
    // While readyState is CONNECTING the browser retries on its own; CLOSED means it gave up
    // (the server answered with an error status, e.g. 401 or 404).
    if (source.readyState === CLOSED && !store.ended) store.fail('The log stream was refused by the server. Reload to try again.');
  });
  return () => {
    if (timer) clearTimeout(timer);
    flush();
    source.close();
  };
}
