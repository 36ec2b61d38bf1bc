// Helpers for the object store tests (not used by production code).
import { createCipheriv, createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * A deterministic pseudo-random stream of `size` bytes (AES-CTR keystream: fast, incompressible).
 * `digest()` is the sha256 of what was produced, valid once the stream has ended.
 */
export function pseudoRandomStream(size: number, opts: { seed?: string; chunk?: number; onChunk?: () => void } = {}) {
  const key = createHash('sha256')
    .update(opts.seed ?? 'archway')
    .digest();
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  const chunk = opts.chunk ?? 256 * 1024;
  const zeros = Buffer.alloc(chunk);
  const hash = createHash('sha256');
  let left = size;
  const stream = new Readable({
    read() {
      if (left === 0) return void this.push(null);
      const n = Math.min(chunk, left);
      const data = cipher.update(n === chunk ? zeros : zeros.subarray(0, n));
      left -= n;
      hash.update(data);
      opts.onChunk?.();
      this.push(data);
    },
  });
  let digest: string | undefined;
  return { stream, digest: () => (digest ??= `sha256:${hash.digest('hex')}`) };
}

export async function sha256Of(stream: Readable, onChunk?: () => void): Promise<{ digest: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const c of stream) {
    hash.update(c as Buffer);
    size += (c as Buffer).length;
    onChunk?.();
  }
  return { digest: `sha256:${hash.digest('hex')}`, size };
}

export async function textOf(stream: Readable): Promise<string> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(c as Buffer);
  return Buffer.concat(parts).toString();
}

/** Emits `bytes` bytes, then fails: a source that dies mid-upload. */
export function failingStream(bytes: number, message = 'source failed'): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= bytes) return void this.destroy(new Error(message));
      const n = Math.min(1024 * 1024, bytes - sent);
      sent += n;
      this.push(Buffer.alloc(n, 7));
    },
  });
}

export function sha256Hex(data: string | Buffer): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/**
 * Tracks peak RSS above a baseline while data streams. Streamed buffers become garbage that V8
 * collects only after ~64 MB of external memory piles up, so without help RSS measures GC timing,
 * not what the code holds. `sample()` forces a full GC every `gcEvery` calls: what remains is the
 * live set, and a store that buffers the whole object still shows it all.
 */
export function rssTracker(gcEvery = 16) {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  const base = process.memoryUsage().rss;
  let peak = base;
  let calls = 0;
  return {
    sample() {
      if (++calls % gcEvery === 0) gc();
      peak = Math.max(peak, process.memoryUsage().rss);
    },
    /** Peak growth over the baseline, in MiB. */
    growthMiB: () => (peak - base) / (1024 * 1024),
  };
}
