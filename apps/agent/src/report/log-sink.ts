import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Redis } from 'ioredis';
import { appendLogLines } from '@archway/shared/node';

export interface LogSinkOptions {
  redis: Redis;
  prefix: string;
  taskId: string;
  attempt: number;
  /** The full log of the attempt is kept here (on disk, not in memory) and uploaded at the end. */
  filePath: string;
  flushMs?: number;
  maxBatch?: number;
  /** A failed live-log flush is reported here and dropped: the uploaded file still has the lines. */
  onFlushError?: (err: unknown) => void;
  /** Applied to every line before it is stored anywhere (build secrets). */
  redact?: (line: string) => string;
}

/**
 * Task log lines → the file on disk and, batched, the task's Redis log stream
 * (flush every `flushMs` or `maxBatch` lines). `write` waits when the file or Redis lag behind,
 * which in turn pauses reading the build's output: memory stays flat however chatty it is.
 */
export class LogSink {
  private batch: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private readonly file: WriteStream;
  private readonly flushMs: number;
  private readonly maxBatch: number;
  private closed = false;
  lines = 0;

  constructor(private readonly opts: LogSinkOptions) {
    this.file = createWriteStream(opts.filePath, { flags: 'a' });
    this.file.on('error', () => {}); // surfaced by close()
    this.flushMs = opts.flushMs ?? 50;
    this.maxBatch = opts.maxBatch ?? 200;
  }

  async write(raw: string): Promise<void> {
    if (this.closed) return;
    const line = this.opts.redact ? this.opts.redact(raw) : raw;
    this.lines++;
    this.batch.push(line);
    const fileOk = this.file.write(`${line}\n`);
    if (this.batch.length >= this.maxBatch) await this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.flushMs);
    if (!fileOk && !this.file.destroyed) await once(this.file, 'drain');
  }

  /** Sends the pending lines; resolves once every earlier line reached Redis (or was dropped). */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const lines = this.batch;
    this.batch = [];
    if (lines.length > 0) {
      const { redis, prefix, taskId, attempt } = this.opts;
      this.flushing = this.flushing.then(() =>
        appendLogLines(redis, prefix, taskId, attempt, lines).catch((err) => this.opts.onFlushError?.(err)),
      );
    }
    return this.flushing;
  }

  /** Flushes to Redis and closes the file. Lines written afterwards are ignored. */
  async close(): Promise<void> {
    if (this.closed) return this.flushing;
    this.closed = true;
    await this.flush();
    await new Promise<void>((resolve, reject) => {
      if (this.file.errored) return reject(this.file.errored);
      this.file.end((err?: Error | null) => (err ? reject(err) : resolve()));
    });
  }
}
