import { ansiEndStyle, NO_STYLE, stripAnsi, type AnsiStyle } from './ansi.ts';
import { compareStreamIds } from './stream-id.ts';

/**
 * The lines of one task's log, held outside React so that 100k lines are one array, not 100k
 * state updates. Components read it through `subscribe`/`version` (useSyncExternalStore).
 */
export class LogStore {
  readonly lines: string[] = [];
  private lower: (string | undefined)[] = [];
  /** starts[i]: the ANSI style in effect where line i begins (filled forward on demand). */
  private starts: AnsiStyle[] = [NO_STYLE];
  lastId: string | null = null;
  ended = false;
  error: string | null = null;
  private v = 0;
  private listeners = new Set<() => void>();

  get length(): number {
    return this.lines.length;
  }

  version = (): number => this.v;

  subscribe = (fn: () => void): (() => void) => {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  };

  /** Appends lines in order; ones whose id is not after the last applied id are duplicates. Returns how many were added. */
  append(batch: readonly { id: string | null; line: string }[]): number {
    let added = 0;
    for (const { id, line } of batch) {
      if (id !== null && this.lastId !== null) {
        const cmp = compareStreamIds(id, this.lastId);
        if (cmp === null ? id === this.lastId : cmp <= 0) continue;
      }
      if (id !== null) this.lastId = id;
      this.lines.push(line);
      added++;
    }
    if (added > 0) this.changed();
    return added;
  }

  /** The task attempt the viewer last streamed; a higher one means a retry with new lines. */
  attempt = 0;

  /** Forgets every line (an interrupted whole-log download). */
  reset(): void {
    this.lines.length = 0;
    this.lower = [];
    this.starts = [NO_STYLE];
    this.lastId = null;
    this.ended = false;
    this.changed();
  }

  /** A retry started after the stream ended: accept lines again (ids keep deduplicating). */
  reopen(): void {
    this.ended = false;
    this.error = null;
    this.changed();
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.changed();
  }

  fail(message: string): void {
    this.error = message;
    this.changed();
  }

  /** Lower-cased text without escapes, computed once per line (search runs over all lines). */
  searchText(i: number): string {
    let t = this.lower[i];
    if (t === undefined) {
      t = stripAnsi(this.lines[i] ?? '').toLowerCase();
      this.lower[i] = t;
    }
    return t;
  }

  /**
   * The style a line starts with: a colour left open by an earlier line continues (as in a
   * terminal). Computed forward once per line, so rendering any window costs only the lines not
   * seen before; lines without escapes share their predecessor's style object.
   */
  styleAt(i: number): AnsiStyle {
    const starts = this.starts;
    const upTo = Math.min(i, this.lines.length);
    for (let k = starts.length; k <= upTo; k++) starts.push(ansiEndStyle(this.lines[k - 1]!, starts[k - 1]));
    return starts[i] ?? starts[starts.length - 1]!;
  }

  private changed(): void {
    this.v++;
    for (const fn of this.listeners) fn();
  }
}
