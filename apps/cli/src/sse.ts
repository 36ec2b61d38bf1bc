import { createParser } from 'eventsource-parser';

export interface SseEvent {
  event: string;
  data: string;
  id?: string;
}

/**
 * Server-Sent Events from a fetch() body, parsed by `eventsource-parser` (the spec's rules:
 * events end at a blank line, `data:` lines join with "\n", comments are heartbeats). The event
 * type defaults to `message` as in the browser's EventSource.
 */
export async function* readSse(body: ReadableStream<Uint8Array>): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder();
  const ready: SseEvent[] = [];
  const parser = createParser({
    onEvent: (m) => ready.push({ event: m.event ?? 'message', data: m.data, ...(m.id !== undefined ? { id: m.id } : {}) }),
  });
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    parser.feed(decoder.decode(chunk, { stream: true }));
    while (ready.length > 0) yield ready.shift()!;
  }
}
