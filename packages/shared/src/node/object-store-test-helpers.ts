// Helpers for the object store tests (not used by production code).
import { createCipheriv, createHash } from 'node:crypto';
import { Readable } from 'node:stream';

/**
 * A deterministic pseudo-random stream of `size` bytes (AES-CTR keystream: fast, incompressible).
 * `digest()` is the sha256 of what was produced, valid once the stream has ended.
 */
export function pseudoRandomStream(size: number, opts: { seed?: string; chunk?: number; onChunk?: () => void } = {}) {
  const key = createHash('sha256').update(opts.seed ?? 'archway').digest();
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
  return { stream, digest: () => `sha256:${hash.digest('hex')}` };
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
