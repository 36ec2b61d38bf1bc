/** The text exposition format's content type (version 0.0.4), the one prom-client writes. */
export const EXPOSITION_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** A metric family as prom-client's `getMetricsAsJSON()` returns it (what processes push over Redis). */
export interface MetricFamilyJson {
  name: string;
  help: string;
  type: string;
  values: { value: number; labels: Record<string, string | number>; metricName?: string }[];
}

/** Label values escape backslash, double quote and newline; HELP text backslash and newline. */
const labelValue = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
const helpText = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
const number = (v: number) => (Number.isFinite(v) ? String(v) : v > 0 ? '+Inf' : v < 0 ? '-Inf' : 'NaN');

/**
 * Writes families from several sources as one exposition: the samples of each source get its own
 * labels (e.g. `{agent="pi-1"}`) and a family appears once, with one HELP and TYPE line, however
 * many sources report it (Prometheus refuses a family split in two).
 */
export function formatLabeledFamilies(sources: { labels: Record<string, string>; families: MetricFamilyJson[] }[]): string {
  const byName = new Map<string, { help: string; type: string; lines: string[] }>();
  for (const source of sources) {
    for (const family of source.families) {
      let entry = byName.get(family.name);
      if (!entry) {
        entry = { help: family.help, type: String(family.type), lines: [] };
        byName.set(family.name, entry);
      }
      for (const v of family.values) {
        const labels = { ...v.labels, ...source.labels } as Record<string, string | number>;
        const pairs = Object.entries(labels).map(([k, val]) => `${k}="${labelValue(String(val))}"`);
        entry.lines.push(`${v.metricName ?? family.name}{${pairs.join(',')}} ${number(v.value)}`);
      }
    }
  }
  const out: string[] = [];
  for (const [name, f] of byName) out.push(`# HELP ${name} ${helpText(f.help)}`, `# TYPE ${name} ${f.type}`, ...f.lines);
  return out.length ? `${out.join('\n')}\n` : '';
}
