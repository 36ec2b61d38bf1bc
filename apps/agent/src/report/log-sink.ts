import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Redis } from 'ioredis';
import { appendLogLines } from '@archway/runtime';
import { formatBytes } from '@archway/contract';

const noop = () => {};

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
  /** Bound of the live log in Redis per attempt (the file keeps every line); see `LiveLogLimit`. */
  liveLimit?: LiveLogLimit;
}

/**
 * The live log of one attempt stops growing at whichever comes first, like BuildKit's and
 * GitLab's log limits: a build printing gigabytes must not fill Redis, which also holds the queues.
 * The agent's own `archway: ` lines (failure reason, timings) always get through.
 */
export interface LiveLogLimit {
  lines: number;
  bytes: number;
}

export const DEFAULT_LIVE_LOG_LIMIT: LiveLogLimit = { lines: 200_000, bytes: 32 * 1024 ** 2 };
const AGENT_LINE = 'archway: ';

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
  private liveLines = 0;
  private liveBytes = 0;
  private liveStopped = false;
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
    if (this.goesLive(line)) this.batch.push(line);
    const fileOk = this.file.write(`${line}\n`);
    // Listen for 'drain' before anything awaits: the file usually drains while the Redis flush
    // below is in flight, and a listener added after that waits for a 'drain' that never comes
    // (it hung agents on chatty builds: ~200 lines of 80 characters fill the 16 KiB buffer).
    // A file error ends the wait too; close() reports it.
    const drained = fileOk || this.file.destroyed ? undefined : once(this.file, 'drain').then(noop, noop);
    if (this.batch.length >= this.maxBatch) await this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.flushMs);
    await drained;
  }

  private goesLive(line: string): boolean {
    if (line.startsWith(AGENT_LINE)) return true;
    if (this.liveStopped) return false;
    const limit = this.opts.liveLimit ?? DEFAULT_LIVE_LOG_LIMIT;
    const bytes = Buffer.byteLength(line);
    if (this.liveLines + 1 > limit.lines || this.liveBytes + bytes > limit.bytes) {
      this.liveStopped = true;
      this.batch.push(
        `${AGENT_LINE}the live log stops here, at ${this.liveLines} lines (${formatBytes(this.liveBytes)}): the agent's live log limit; ` +
          'the build goes on and its full log can be downloaded when this task ends',
      );
      return false;
    }
    this.liveLines++;
    this.liveBytes += bytes;
    return true;
  }

  /** Sends the pending lines; resolves once every earlier line reached Redis (or was dropped). */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const lines = this.batch;
    this.batch = [];
    if (lines.length > 0) {
      const { redis, prefix, taskId, attempt } = this.opts;
      this.flushing = this.flushing.then(() => appendLogLines(redis, prefix, taskId, attempt, lines).catch((err) => this.opts.onFlushError?.(err)));
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
