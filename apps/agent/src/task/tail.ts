import { open } from 'node:fs/promises';
import { formatBytes } from '@archway/contract';
import { LineSplitter } from './lines.ts';

export interface TailOptions {
  /** Called for every line, one at a time; the next read waits for it (the file absorbs any lag). */
  onLine: (line: string) => void | Promise<void>;
  /** Resolves once the writer is gone: the file is then read to its end and the tail stops. */
  writerDone: Promise<unknown>;
  /** How often to look for new data while the writer is quiet. */
  pollMs?: number;
  /**
   * The writer was stopped (cancel, time limit, shutdown): once it is gone, a backlog larger than
   * `BACKLOG_KEEP` is skipped down to its last `BACKLOG_KEEP` bytes — what it printed just before
   * the stop — with a line saying so. A `yes` stopped at its time limit leaves gigabytes the agent
   * would otherwise read line by line for minutes after the build has ended.
   */
  stopped?: AbortSignal;
}

/** Output kept when a stopped writer left more unread (see `TailOptions.stopped`). */
export const BACKLOG_KEEP = 1_000_000;

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
    let skipped = false;
    let dropFirst = false;
    for (;;) {
      // Checked before the read: a read after the writer is gone that finds nothing is the end.
      const finished = done;
      if (done && o.stopped?.aborted && !skipped) {
        skipped = true;
        const { size } = await fh.stat();
        if (size - pos > BACKLOG_KEEP) {
          const skip = size - BACKLOG_KEEP - pos;
          await emit([
            ...splitter.end(),
            `archway: ${formatBytes(skip)} of output written before the stop were not read; its last ${formatBytes(BACKLOG_KEEP)} follow`,
          ]);
          pos += skip;
          // The first line after the jump is cut: it starts with the rest of a skipped line.
          dropFirst = true;
        }
      }
      const { bytesRead } = await fh.read(buf, 0, CHUNK, pos);
      if (bytesRead > 0) {
        pos += bytesRead;
        const lines = splitter.push(buf.subarray(0, bytesRead));
        if (dropFirst && lines.length > 0) {
          lines.shift();
          dropFirst = false;
        }
        await emit(lines);
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
