import type { Readable } from 'node:stream';

/** Longer lines are split: one runaway line must not grow memory or the log stream entry. */
export const MAX_LINE = 16 * 1024;

/**
 * Yields the lines of a byte stream as they arrive (`\n`, `\r\n` and lone `\r` end a line).
 * Async iteration pulls one chunk at a time, so a slow consumer applies backpressure to the child.
 */
export async function* readLines(stream: Readable): AsyncGenerator<string> {
  let carry = '';
  const decoder = new TextDecoder('utf-8');
  for await (const chunk of stream) {
    carry += decoder.decode(chunk as Buffer, { stream: true });
    const parts = carry.split(/\r\n|\n|\r(?!$)/);
    carry = parts.pop() ?? '';
    for (const line of parts) yield* splitLong(line);
    if (carry.length > MAX_LINE) {
      yield* splitLong(carry.slice(0, MAX_LINE));
      carry = carry.slice(MAX_LINE);
    }
  }
  carry += decoder.decode();
  if (carry.endsWith('\r')) carry = carry.slice(0, -1);
  if (carry.length > 0) yield* splitLong(carry);
}

function* splitLong(line: string): Generator<string> {
  for (let i = 0; i < line.length; i += MAX_LINE) yield line.slice(i, i + MAX_LINE);
  if (line.length === 0) yield '';
}
