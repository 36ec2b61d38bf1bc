import type { LogStore } from './log-store.ts';

/** Indexes of lines containing `query` (case-insensitive), in order. */
export function findMatches(store: LogStore, query: string): number[] {
  const q = query.toLowerCase();
  if (!q) return [];
  const out: number[] = [];
  for (let i = 0; i < store.length; i++) if (store.searchText(i).includes(q)) out.push(i);
  return out;
}

/** Ranges of `query` within one line's plain text. */
export function matchRanges(plainLower: string, query: string): { start: number; end: number }[] {
  const q = query.toLowerCase();
  const out: { start: number; end: number }[] = [];
  if (!q) return out;
  for (let at = plainLower.indexOf(q); at !== -1; at = plainLower.indexOf(q, at + q.length)) {
    out.push({ start: at, end: at + q.length });
  }
  return out;
}

/**
 * The line where the failing step began: the last `STEP n/m` header (the last attempt) that
 * matches the task's failedStep. failedStep is the step header ("STEP 3/5: RUN make") or at
 * least its "n/m" part; lacking a match, the last line mentioning it.
 */
export function findFailedStepLine(store: LogStore, failedStep: string | null | undefined): number | null {
  if (!failedStep) return null;
  const wanted = failedStep.trim().toLowerCase();
  const nm = /(\d+)\s*\/\s*(\d+)/.exec(wanted);
  const header = nm ? `step ${nm[1]}/${nm[2]}` : null;
  let fallback: number | null = null;
  for (let i = store.length - 1; i >= 0; i--) {
    const text = store.searchText(i).trimStart();
    if (header && text.startsWith(header)) return i;
    if (fallback === null && text.includes(wanted)) fallback = i;
  }
  return fallback;
}
