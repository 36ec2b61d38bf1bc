import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { PROMETHEUS_RULE_FILE, prometheusRule, RULES_FILE } from '../../scripts/monitoring-rules.ts';
import { dashboardExpressions, metricNamesIn } from './dashboard.ts';
import { metricCatalog } from './metric-catalog.ts';

const run = promisify(execFile);
const rulesDir = new URL('../../deploy/monitoring/prometheus/', import.meta.url).pathname;

/** promtool's output on failure says which rule or test; keep it in the assertion message. */
async function promtool(...args: string[]): Promise<{ ok: boolean; output: string }> {
  try {
    const { stdout, stderr } = await run('promtool', args, { cwd: rulesDir });
    return { ok: true, output: stdout + stderr };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    return { ok: false, output: `${e.stdout ?? ''}${e.stderr ?? ''}${e.message}` };
  }
}

/** Every series name the processes export, histograms with their _bucket, _sum and _count. */
function exportedSeries(): Set<string> {
  const names = new Set<string>();
  for (const m of metricCatalog()) {
    names.add(m.name);
    if (m.type === 'histogram' || m.type === 'summary') for (const s of ['_bucket', '_sum', '_count']) names.add(m.name + s);
  }
  return names;
}

describe('alert rules (deploy/monitoring/prometheus)', () => {
  it('pass promtool check rules', async () => {
    const r = await promtool('check', 'rules', 'archway-alerts.yaml');
    expect(r.ok, r.output).toBe(true);
    expect(r.output).toMatch(/SUCCESS: 7 rules found/);
  });

  it('pass their promtool unit tests', async () => {
    const r = await promtool('test', 'rules', 'archway-alerts.test.yaml');
    expect(r.ok, r.output).toBe(true);
  });

  it('fail promtool when an expression is broken (the check bites)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'archway-rules-'));
    const file = join(dir, 'broken.yaml');
    await writeFile(file, readFileSync(RULES_FILE, 'utf8').replace('> 1800', '> > 1800'));
    try {
      const r = await promtool('check', 'rules', file);
      expect(r.ok).toBe(false);
      expect(r.output).toMatch(/ArchwayQueueWaitHigh|parse error/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('name only metrics the processes export', () => {
    const exported = exportedSeries();
    const rules = parse(readFileSync(RULES_FILE, 'utf8')) as { groups: { rules: { alert: string; expr: string }[] }[] };
    for (const rule of rules.groups.flatMap((g) => g.rules)) {
      const names = metricNamesIn(rule.expr);
      expect(names.length, rule.alert).toBeGreaterThan(0);
      expect(
        names.filter((n) => !exported.has(n)),
        rule.alert,
      ).toEqual([]);
    }
  });

  it('are the groups of the Kubernetes PrometheusRule, unchanged', async () => {
    const written = readFileSync(PROMETHEUS_RULE_FILE, 'utf8');
    expect(written, 'run `npx tsx scripts/monitoring-rules.ts`').toBe(await prometheusRule());
    const resource = parse(written) as { kind: string; spec: { groups: unknown } };
    expect(resource.kind).toBe('PrometheusRule');
    expect(resource.spec.groups).toEqual((parse(readFileSync(RULES_FILE, 'utf8')) as { groups: unknown }).groups);
  });
});

describe('Grafana dashboard (deploy/monitoring/grafana)', () => {
  const dashboard = JSON.parse(readFileSync(new URL('../../deploy/monitoring/grafana/archway-dashboard.json', import.meta.url), 'utf8'));

  it('has panels with unique ids, each with at least one Prometheus query', () => {
    const ids = dashboard.panels.map((p: { id: number }) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of dashboard.panels) {
      expect(p.targets.length, p.title).toBeGreaterThan(0);
      for (const t of p.targets) expect(t.expr, p.title).toMatch(/\S/);
    }
  });

  it("references only metrics that exist, in every panel's every query", () => {
    const exported = exportedSeries();
    const exprs = dashboardExpressions(dashboard);
    expect(exprs.length).toBeGreaterThan(20);
    for (const { panel, expr } of exprs) {
      const names = metricNamesIn(expr);
      expect(names.length, `${panel}: ${expr}`).toBeGreaterThan(0);
      expect(
        names.filter((n) => !exported.has(n)),
        `${panel}: ${expr}`,
      ).toEqual([]);
    }
  });

  it('finds a metric that does not exist (the check bites)', () => {
    const exported = exportedSeries();
    expect(metricNamesIn('rate(archway_agent_tasks_total[5m]) / archway_agent_taks_total').filter((n) => !exported.has(n))).toEqual([
      'archway_agent_taks_total',
    ]);
  });
});
