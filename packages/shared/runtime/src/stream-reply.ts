/** One stream entry as Redis returns it: id and flat field/value list (null once trimmed away). */
export type RawStreamEntry = [id: string, fields: string[] | null];

/**
 * The entries of `key` in an XREAD/XREADGROUP reply. ioredis 6 speaks RESP3, where these replies
 * are maps: depending on the call path they arrive RESP2-shaped (`[[key, entries]]`), flattened
 * (`[key, entries]`) or as an object. All three are accepted.
 */
export function streamEntries(reply: unknown, key: string): RawStreamEntry[] {
  if (reply === null || reply === undefined) return [];
  if (Array.isArray(reply)) {
    if (reply.length === 0) return [];
    if (typeof reply[0] === 'string') {
      for (let i = 0; i + 1 < reply.length; i += 2) if (reply[i] === key) return reply[i + 1] as RawStreamEntry[];
      return [];
    }
    for (const pair of reply as [string, RawStreamEntry[]][]) if (pair[0] === key) return pair[1];
    return [];
  }
  if (typeof reply === 'object') return ((reply as Record<string, RawStreamEntry[]>)[key] ?? []) as RawStreamEntry[];
  return [];
}
