import type { Redis } from 'ioredis';
import type { RawStreamEntry } from '@archway/runtime';

/** One entry of a task's log stream: a line, or the end marker. */
export interface LogEntry {
  id: string;
  line?: string;
  end?: boolean;
  attempt?: number;
}

type RawEntry = RawStreamEntry;

export function parseEntry([id, fields]: RawEntry): LogEntry {
  const entry: LogEntry = { id };
  for (let i = 0; fields && i + 1 < fields.length; i += 2) {
    const f = fields[i];
    const v = fields[i + 1]!;
    if (f === 'l') entry.line = v;
    else if (f === 'end') entry.end = true;
    else if (f === 'a') entry.attempt = Number(v);
  }
  return entry;
}

const PAGE = 1000;

/** Reads a log stream in pages (never all at once), strictly after `after` ('0' = from the start). */
export async function* readLogEntries(redis: Redis, key: string, after = '0'): AsyncGenerator<LogEntry> {
  let start = after === '0' ? '-' : `(${after}`;
  for (;;) {
    const page = (await redis.xrange(key, start, '+', 'COUNT', PAGE)) as RawEntry[];
    for (const raw of page) yield parseEntry(raw);
    if (page.length < PAGE) return;
    start = `(${page[page.length - 1]![0]}`;
  }
}

/** The lines of a log stream as text, one `\n`-terminated line per entry. */
export async function* logText(redis: Redis, key: string): AsyncGenerator<string> {
  let buf = '';
  for await (const e of readLogEntries(redis, key)) {
    if (e.line === undefined) continue;
    buf += `${e.line}\n`;
    if (buf.length >= 64 * 1024) {
      yield buf;
      buf = '';
    }
  }
  if (buf) yield buf;
}
