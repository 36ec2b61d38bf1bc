import type { Readable } from 'node:stream';

/** Longer lines are split: one runaway line must not grow memory or the log stream entry. */
export const MAX_LINE = 16 * 1024;

/**
 * Turns bytes into lines as they arrive (`\n`, `\r\n` and lone `\r` end a line), keeping a
 * partial last line (and a multi-byte character cut between chunks) for the next chunk.
 */
export class LineSplitter {
  private carry = '';
  private readonly decoder = new TextDecoder('utf-8');

  push(chunk: Uint8Array): string[] {
    this.carry += this.decoder.decode(chunk, { stream: true });
    const parts = this.carry.split(/\r\n|\n|\r(?!$)/);
    this.carry = parts.pop() ?? '';
    const out: string[] = [];
    for (const line of parts) out.push(...splitLong(line));
    if (this.carry.length > MAX_LINE) {
      out.push(...splitLong(this.carry.slice(0, MAX_LINE)));
      this.carry = this.carry.slice(MAX_LINE);
    }
    return out;
  }

  /** The rest, once the input is over. */
  end(): string[] {
    let carry = this.carry + this.decoder.decode();
    this.carry = '';
    if (carry.endsWith('\r')) carry = carry.slice(0, -1);
    return carry.length > 0 ? [...splitLong(carry)] : [];
  }
}

/**
 * Yields the lines of a byte stream as they arrive.
 * Async iteration pulls one chunk at a time, so a slow consumer applies backpressure to the child.
 */
export async function* readLines(stream: Readable): AsyncGenerator<string> {
  const splitter = new LineSplitter();
  for await (const chunk of stream) yield* splitter.push(chunk as Buffer);
  yield* splitter.end();
}

function* splitLong(line: string): Generator<string> {
  for (let i = 0; i < line.length; i += MAX_LINE) yield line.slice(i, i + MAX_LINE);
  if (line.length === 0) yield '';
}
