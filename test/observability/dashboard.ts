/** The Grafana dashboard's PromQL: every panel target's `expr`, with Grafana's variables filled in so Prometheus can run it. */
export function dashboardExpressions(dashboard: { panels: { title: string; targets?: { expr?: string }[] }[] }): { panel: string; expr: string }[] {
  return dashboard.panels.flatMap((p) => (p.targets ?? []).filter((t) => t.expr).map((t) => ({ panel: p.title, expr: fillVariables(t.expr!) })));
}

/** `$__rate_interval` → `1m`, `$platform` / `${platform}` → `.*` (the "All" value). */
export function fillVariables(expr: string): string {
  return expr.replace(/\$__rate_interval|\$__interval|\$\{__rate_interval\}/g, '1m').replace(/\$\{?platform\}?/g, '.*');
}

/** PromQL words PromQL itself defines, never metric names. */
const NOT_METRICS = /^(by|without|on|ignoring|group_left|group_right|and|or|unless|offset|bool)$/;

/**
 * The metric names an expression selects: identifiers starting with `archway_` that are not
 * label names (followed by `=`, `!=`, `=~`, `!~`) — which is all our label names never start with.
 */
export function metricNamesIn(expr: string): string[] {
  const names = new Set<string>();
  const withoutStrings = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  for (const m of withoutStrings.matchAll(/\b(archway_[a-z0-9_]+)\b/g)) if (!NOT_METRICS.test(m[1]!)) names.add(m[1]!);
  return [...names];
}
