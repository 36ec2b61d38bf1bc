import { type MetricInfo, PROCESS_METRIC } from './metric-catalog.ts';

/**
 * Labels whose values come from small fixed sets (or, for `agent`/`merger`, from the number of
 * processes an operator runs). Anything else must be reviewed before it is added here: a label
 * holding build ids, task ids, commit shas, image names or URLs makes a series per build and
 * grows Prometheus without bound.
 */
export const BOUNDED_LABELS = new Set([
  'platform',
  'phase',
  'instruction',
  'cached',
  'outcome',
  'cause',
  'result',
  'trigger',
  'method',
  'route',
  'code',
  'state',
  'status',
  'forge',
  'event',
  'reference',
]);

/** Label names that always mean an unbounded value, whatever else is said about them. */
const UNBOUNDED = /(^|_)(id|build|task|commit|sha|digest|image|tag|url|repo|repository|ref|path|user|token)s?$/;

/** Unit spellings Prometheus' conventions replace by base units (`_seconds`, `_bytes`). */
const NON_BASE_UNIT = /_(ms|milliseconds|us|microseconds|ns|minutes|hours|days|kb|mb|gb|kib|mib|gib|kilobytes|megabytes|percent)(_total)?$/;

/** What is wrong with one metric under Prometheus' naming conventions and our cardinality rules. */
export function metricProblems(m: MetricInfo): string[] {
  const out: string[] = [];
  if (!m.help || m.help.trim().length < 10 || m.help.trim() === m.name) out.push('has no HELP text saying what it counts');
  if (PROCESS_METRIC.test(m.name)) return out; // prom-client's own: names and labels are its conventions
  if (!/^archway_[a-z][a-z0-9_]*[a-z0-9]$/.test(m.name)) out.push('is not snake_case under the archway_ prefix');
  if (NON_BASE_UNIT.test(m.name)) out.push('uses a non-base unit suffix: use _seconds or _bytes');
  if (m.type === 'counter' && !m.name.endsWith('_total')) out.push('is a counter without the _total suffix');
  if (m.type !== 'counter' && m.name.endsWith('_total')) out.push(`is a ${m.type} with the _total suffix, reserved for counters`);
  if (m.type === 'histogram' && !/_(seconds|bytes)$/.test(m.name)) out.push('is a histogram without a unit suffix (_seconds or _bytes)');
  if (/_(duration|latency|time|wait|waiting|age)(_|$)/.test(m.name) && !/_seconds(_total)?$/.test(m.name))
    out.push('measures time but does not end in _seconds');
  if (/_(bytes|size|space)(_|$)/.test(m.name) && !/_bytes(_total)?$/.test(m.name)) out.push('measures bytes but does not end in _bytes');
  for (const label of m.labelNames) {
    if (UNBOUNDED.test(label)) out.push(`has an unbounded label "${label}" (one series per build, commit or image)`);
    else if (!BOUNDED_LABELS.has(label)) out.push(`has label "${label}" that is not known to be bounded (see BOUNDED_LABELS)`);
  }
  return out;
}
