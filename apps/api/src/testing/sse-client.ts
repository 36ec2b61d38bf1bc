import { createParser, type EventSourceParser } from 'eventsource-parser';

export interface SseEvent {
  id?: string;
  event: string;
  data: string;
}

/** One `eventsource-parser` that collects events (type defaulting to `message`) and counts comments. */
function collector(): { parser: EventSourceParser; events: SseEvent[]; comments: () => number } {
  const events: SseEvent[] = [];
  let comments = 0;
  const parser = createParser({
    onEvent: (m) => events.push({ event: m.event ?? 'message', data: m.data, ...(m.id !== undefined ? { id: m.id } : {}) }),
    onComment: () => void comments++,
  });
  return { parser, events, comments: () => comments };
}

/** Parses a whole Server-Sent Events body (complete events only); comments are counted, not returned. */
export function parseSse(text: string): { events: SseEvent[]; comments: number } {
  const c = collector();
  c.parser.feed(text);
  return { events: c.events, comments: c.comments() };
}

/** Reads an SSE response body incrementally; `next(n)` resolves when n events have arrived in total. */
export function sseReader(body: ReadableStream<Uint8Array>) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const { parser, events, comments } = collector();
  let done = false;
  async function pump(until: () => boolean, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!until()) {
      if (done) throw new Error(`stream ended after ${events.length} events`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out with ${events.length} events`);
      let timer: NodeJS.Timeout | undefined;
      const chunk = await Promise.race([
        reader.read(),
        new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out with ${events.length} events`)), left))),
      ]).finally(() => clearTimeout(timer));
      if (chunk.done) done = true;
      else parser.feed(decoder.decode(chunk.value, { stream: true }));
    }
  }
  return {
    events,
    get comments() {
      return comments();
    },
    next: (n: number, timeoutMs = 10_000) => pump(() => events.length >= n, timeoutMs),
    heartbeat: (timeoutMs = 10_000) => {
      const before = comments();
      return pump(() => comments() > before, timeoutMs);
    },
    /** Resolves when the server closes the stream. */
    async ended(timeoutMs = 10_000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (!done) {
        if (Date.now() > deadline) throw new Error('stream did not end');
        const chunk = await reader.read();
        if (chunk.done) done = true;
        else parser.feed(decoder.decode(chunk.value, { stream: true }));
      }
    },
    cancel: () => reader.cancel().catch(() => {}),
  };
}
