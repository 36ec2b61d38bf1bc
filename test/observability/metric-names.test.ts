import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { metricCatalog, PROCESS_METRIC } from './metric-catalog.ts';
import { metricProblems } from './metric-conventions.ts';

const catalog = metricCatalog();
const doc = readFileSync(new URL('../../docs/observability.md', import.meta.url), 'utf8');

/** The metric names in the first column of docs/observability.md's tables. */
function documentedMetrics(markdown: string): string[] {
  const names = new Set<string>();
  for (const line of markdown.split('\n')) {
    const first = /^\|\s*`(archway_[a-z0-9_]+)`/.exec(line);
    if (first) names.add(first[1]!);
  }
  return [...names].sort();
}

describe('every metric of every process', () => {
  it('is listed (the catalog is not empty and spans the three processes)', () => {
    const byProcess = new Set(catalog.map((m) => m.process));
    expect([...byProcess].sort()).toEqual(['agent', 'api', 'merger']);
    expect(catalog.filter((m) => !PROCESS_METRIC.test(m.name)).length).toBeGreaterThan(25);
  });

  it.each(catalog.map((m) => [`${m.process} ${m.name}`, m] as const))('%s follows the conventions', (_name, m) => {
    expect(metricProblems(m)).toEqual([]);
  });

  it('has one definition per name across processes (the API exposes them side by side)', () => {
    const names = catalog.filter((m) => !PROCESS_METRIC.test(m.name) || m.process !== 'api').map((m) => m.name);
    expect(names.filter((n, i) => names.indexOf(n) !== i)).toEqual([]);
  });

  it('is documented in docs/observability.md, which lists no metric that does not exist', () => {
    const registered = catalog
      .filter((m) => !PROCESS_METRIC.test(m.name))
      .map((m) => m.name)
      .sort();
    expect(documentedMetrics(doc)).toEqual(registered);
  });
});

describe('the convention check itself', () => {
  const ok = { process: 'agent' as const, name: 'archway_agent_x_seconds', help: 'How long x took.', type: 'histogram', labelNames: ['platform'] };

  it('passes a well-formed metric and refuses each kind of mistake', () => {
    expect(metricProblems(ok)).toEqual([]);
    expect(metricProblems({ ...ok, help: '' })).toEqual(['has no HELP text saying what it counts']);
    expect(metricProblems({ ...ok, name: 'archway_agent_x_ms' })).toContain('uses a non-base unit suffix: use _seconds or _bytes');
    expect(metricProblems({ ...ok, name: 'archway_xs', type: 'counter' })).toEqual(['is a counter without the _total suffix']);
    expect(metricProblems({ ...ok, name: 'archway_xs_total', type: 'gauge' })).toEqual(['is a gauge with the _total suffix, reserved for counters']);
    expect(metricProblems({ ...ok, name: 'archway_xs_duration', type: 'gauge' })).toEqual(['measures time but does not end in _seconds']);
    expect(metricProblems({ ...ok, labelNames: ['build_id'] })).toEqual(['has an unbounded label "build_id" (one series per build, commit or image)']);
    expect(metricProblems({ ...ok, labelNames: ['commit'] })[0]).toMatch(/unbounded label "commit"/);
    expect(metricProblems({ ...ok, labelNames: ['flavour'] })[0]).toMatch(/not known to be bounded/);
  });
});

describe('docs/observability.md', () => {
  it('reads metric names from table rows only', () => {
    expect(documentedMetrics('`archway_in_prose`\n| metric | type |\n|---|---|\n| `archway_a_total` | counter |\n')).toEqual(['archway_a_total']);
  });
});
