export interface SseEvent {
  id?: string;
  event: string;
  data: string;
}

/** Parses Server-Sent Events text (complete events only); comments are counted, not returned. */
export function parseSse(text: string): { events: SseEvent[]; comments: number; rest: string } {
  const events: SseEvent[] = [];
  let comments = 0;
  const blocks = text.split('\n\n');
  const rest = blocks.pop() ?? '';
  for (const block of blocks) {
    const ev: SseEvent = { event: 'message', data: '' };
    const data: string[] = [];
    let any = false;
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) {
        comments++;
        continue;
      }
      const i = line.indexOf(':');
      const field = i === -1 ? line : line.slice(0, i);
      const value = i === -1 ? '' : line.slice(i + 1).replace(/^ /, '');
      if (field === 'id') ev.id = value;
      else if (field === 'event') ev.event = value;
      else if (field === 'data') data.push(value);
      else continue;
      any = true;
    }
    if (any && (data.length > 0 || ev.event !== 'message')) events.push({ ...ev, data: data.join('\n') });
  }
  return { events, comments, rest };
}

/** Reads an SSE response body incrementally; `next(n)` resolves when n events have arrived in total. */
export function sseReader(body: ReadableStream<Uint8Array>) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const events: SseEvent[] = [];
  let comments = 0;
  let buf = '';
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
      if (chunk.done) {
        done = true;
        continue;
      }
      buf += decoder.decode(chunk.value, { stream: true });
      const parsed = parseSse(buf);
      events.push(...parsed.events);
      comments += parsed.comments;
      buf = parsed.rest;
    }
  }
  return {
    events,
    get comments() {
      return comments;
    },
    next: (n: number, timeoutMs = 10_000) => pump(() => events.length >= n, timeoutMs),
    heartbeat: (timeoutMs = 10_000) => {
      const before = comments;
      return pump(() => comments > before, timeoutMs);
    },
    /** Resolves when the server closes the stream. */
    async ended(timeoutMs = 10_000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (!done) {
        if (Date.now() > deadline) throw new Error('stream did not end');
        const chunk = await reader.read();
        if (chunk.done) done = true;
        else {
          buf += decoder.decode(chunk.value, { stream: true });
          const parsed = parseSse(buf);
          events.push(...parsed.events);
          buf = parsed.rest;
        }
      }
    },
    cancel: () => reader.cancel().catch(() => {}),
  };
}
