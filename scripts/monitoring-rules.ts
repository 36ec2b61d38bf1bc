/**
 * Writes deploy/monitoring/kubernetes/prometheus-rule.yaml from the one rule file,
 * deploy/monitoring/prometheus/archway-alerts.yaml: `npx tsx scripts/monitoring-rules.ts`.
 * test/observability/monitoring.test.ts fails when the two disagree.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { parse, stringify } from 'yaml';

const root = new URL('../deploy/monitoring/', import.meta.url);
export const RULES_FILE = new URL('prometheus/archway-alerts.yaml', root);
export const PROMETHEUS_RULE_FILE = new URL('kubernetes/prometheus-rule.yaml', root);

export async function prometheusRule(): Promise<string> {
  const rules = parse(await readFile(RULES_FILE, 'utf8')) as { groups: unknown[] };
  const resource = {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: { name: 'archway', namespace: 'archway', labels: { 'app.kubernetes.io/part-of': 'archway' } },
    spec: { groups: rules.groups },
  };
  const header = '# Generated from ../prometheus/archway-alerts.yaml by scripts/monitoring-rules.ts: edit that file, not this one.\n';
  return header + stringify(resource, { lineWidth: 0 });
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop() ?? '')) {
  await writeFile(PROMETHEUS_RULE_FILE, await prometheusRule());
  process.stdout.write(`wrote ${PROMETHEUS_RULE_FILE.pathname}\n`);
}
