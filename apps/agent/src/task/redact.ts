/**
 * Masks secret values in text that leaves the agent (log lines, failure reasons, phase names).
 * Each value is masked as is, in base64 (standard and URL-safe, with or without padding) and line
 * by line when it spans lines: a build printing `cat secret | base64` or one line of a key file
 * shows `***` too. Longer needles first, so a value containing another is masked whole.
 */
export const MASK = '***';
/** Shorter fragments (single lines of a multi-line value) would mask ordinary words. */
const MIN_FRAGMENT = 4;

export type Redactor = (text: string) => string;

export const noRedaction: Redactor = (t) => t;

export function createRedactor(values: string[]): Redactor {
  const needles = new Set<string>();
  for (const value of values) {
    if (!value) continue;
    const trimmed = value.replace(/\r?\n$/, '');
    for (const v of new Set([value, trimmed])) {
      if (!v) continue;
      needles.add(v);
      const b64 = Buffer.from(v, 'utf8').toString('base64');
      needles.add(b64);
      needles.add(b64.replace(/=+$/, ''));
      needles.add(Buffer.from(v, 'utf8').toString('base64url'));
    }
    for (const line of trimmed.split(/\r?\n/)) if (line.trim().length >= MIN_FRAGMENT) needles.add(line);
  }
  const sorted = [...needles].filter((n) => n.length > 0).sort((a, b) => b.length - a.length);
  if (sorted.length === 0) return noRedaction;
  return (text) => {
    let out = text;
    for (const n of sorted) if (out.includes(n)) out = out.split(n).join(MASK);
    return out;
  };
}
