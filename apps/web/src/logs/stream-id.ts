/**
 * Redis stream ids ("1700000000000-3") order log lines. The viewer keeps the last id it applied
 * and drops anything at or before it, so a reconnect that replays (or a second connection that
 * starts from the beginning) never duplicates lines.
 */
export type ParsedId = readonly [number, number];

export function parseStreamId(id: string): ParsedId | null {
  const m = /^(\d+)(?:-(\d+))?$/.exec(id.trim());
  if (!m) return null;
  return [Number(m[1]), m[2] === undefined ? 0 : Number(m[2])];
}

/** <0, 0, >0 like a comparator; null when either id is not a stream id. */
export function compareStreamIds(a: string, b: string): number | null {
  const pa = parseStreamId(a);
  const pb = parseStreamId(b);
  if (!pa || !pb) return null;
  return pa[0] - pb[0] || pa[1] - pb[1];
}
