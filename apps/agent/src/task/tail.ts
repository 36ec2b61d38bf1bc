import { open } from 'node:fs/promises';
import { LineSplitter } from './lines.ts';

export interface TailOptions {
  /** Called for every line, one at a time; the next read waits for it (the file absorbs any lag). */
  onLine: (line: string) => void | Promise<void>;
  /** Resolves once the writer is gone: the file is then read to its end and the tail stops. */
  writerDone: Promise<unknown>;
  /** How often to look for new data while the writer is quiet. */
  pollMs?: number;
}

const CHUNK = 64 * 1024;

/**
 * Follows a file another process writes, line by line, from its start until the writer is done
 * and every byte is read. Memory stays one chunk however far the reader lags behind.
 * Rejects with the first error `onLine` threw (after reading to the end, so the writer is never
 * left without a reader that finishes).
 */
export async function tailFile(path: string, o: TailOptions): Promise<void> {
  const pollMs = o.pollMs ?? 20;
  let done = false;
  const writerDone = o.writerDone.then(
    () => void (done = true),
    () => void (done = true),
  );
  let lineError: unknown;
  let failed = false;
  const emit = async (lines: string[]) => {
    for (const line of lines) {
      if (failed) return;
      try {
        await o.onLine(line);
      } catch (err) {
        failed = true;
        lineError = err;
      }
    }
  };
  const splitter = new LineSplitter();
  const buf = Buffer.alloc(CHUNK);
  const fh = await open(path, 'r');
  try {
    let pos = 0;
    for (;;) {
      // Checked before the read: a read after the writer is gone that finds nothing is the end.
      const finished = done;
      const { bytesRead } = await fh.read(buf, 0, CHUNK, pos);
      if (bytesRead > 0) {
        pos += bytesRead;
        await emit(splitter.push(buf.subarray(0, bytesRead)));
        continue;
      }
      if (finished) break;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([writerDone, new Promise((r) => (timer = setTimeout(r, pollMs)))]);
      clearTimeout(timer);
    }
    await emit(splitter.end());
  } finally {
    await fh.close();
  }
  if (failed) throw lineError;
}
