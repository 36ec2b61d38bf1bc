/**
 * Failure reasons are shown in lists, commit statuses and API answers: a multi-KB dump (buildah's
 * output, a stack) would drown them. Reasons are bounded where they are stored (the recorder,
 * the API's reconciler): a short head cut at a line boundary, then a pointer to where the whole
 * story is (the task's log).
 */
export const REASON_MAX_CHARS = 1000;

/**
 * `reason` unchanged when it fits in REASON_MAX_CHARS; otherwise its first lines (a single
 * over-long first line is cut), `…`, how much was left out and `more` (e.g. "full log: GET …").
 * The result never exceeds REASON_MAX_CHARS.
 */
export function boundReason(reason: string, more?: string): string {
  if (reason.length <= REASON_MAX_CHARS) return reason;
  const tail = (left: number) => `\n… (${left} more characters${more ? `; ${more}` : ''})`;
  // The tail's own length depends on the number it prints; size it for the largest possible one.
  const budget = Math.max(0, REASON_MAX_CHARS - tail(reason.length).length);
  let head = reason.slice(0, budget);
  const lastBreak = head.lastIndexOf('\n');
  if (lastBreak > 0) head = head.slice(0, lastBreak);
  head = head.trimEnd();
  return `${head}${tail(reason.length - head.length)}`.slice(0, REASON_MAX_CHARS);
}

/** Where a task's full log is read (the pointer bounded reasons carry). */
export function taskLogPointer(buildId: string, platform: string): string {
  return `full log: GET /api/v1/builds/${buildId}/logs?platform=${platform}`;
}
