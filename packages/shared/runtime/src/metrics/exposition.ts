/** The text exposition format's content type (version 0.0.4), the one prom-client writes. */
export const EXPOSITION_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const labelValue = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/**
 * Merges expositions of several processes into one: each source's samples get its labels (e.g.
 * `{agent="pi-1"}`, put first) and a family appears once, with one HELP and TYPE line, however many
 * sources report it (Prometheus refuses a family split in two). Works on the text lines as they
 * are: a scrape with 50 agents stays a matter of string joins. The sources' own metrics never use
 * the labels added here (test/observability checks label names).
 */
export function mergeExpositions(sources: { labels: Record<string, string>; text: string }[]): string {
  const families = new Map<string, { head: string[]; lines: string[] }>();
  for (const source of sources) {
    const added = Object.entries(source.labels)
      .map(([k, v]) => `${k}="${labelValue(v)}"`)
      .join(',');
    let current: { head: string[]; lines: string[] } | undefined;
    for (const line of source.text.split('\n')) {
      if (line === '') continue;
      if (line.startsWith('# ')) {
        const name = line.split(' ', 3)[2] ?? '';
        current = families.get(name);
        if (!current) {
          current = { head: [], lines: [] };
          families.set(name, current);
        }
        // The first source's HELP and TYPE stand for the family.
        if (current.head.length < 2 && !current.head.some((h) => h.startsWith(line.slice(0, 7)))) current.head.push(line);
        continue;
      }
      if (!current) continue;
      const brace = line.indexOf('{');
      const space = line.indexOf(' ');
      current.lines.push(
        brace !== -1 && brace < space
          ? `${line.slice(0, brace + 1)}${added},${line.slice(brace + 1)}`
          : `${line.slice(0, space)}{${added}}${line.slice(space)}`,
      );
    }
  }
  const out: string[] = [];
  for (const f of families.values()) if (f.lines.length) out.push(...f.head, ...f.lines);
  return out.length ? `${out.join('\n')}\n` : '';
}
