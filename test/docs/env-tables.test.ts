import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { configVariables, s3Config, type ConfigSpec } from '@archway/runtime';
import { agentConfig } from '../../apps/agent/src/env.ts';
import { apiConfig } from '../../apps/api/src/infra/env.ts';
import { retentionConfig } from '../../apps/api/src/workers/retention/policy.ts';
import { reconcileConfig } from '../../apps/api/src/workers/reconciler/policy.ts';
import { fleetConfig } from '../../apps/api/src/workers/fleet/config.ts';
import { launcherConfig } from '../../apps/launcher/src/env.ts';
import { mergerConfig } from '../../apps/merger/src/env.ts';

/** Each variable table and the configuration schema it documents. */
const TABLES: Array<[file: string, spec: ConfigSpec | ConfigSpec[]]> = [
  // The API process reads its own variables, the reconciler's and the fleet's; their tables are in its ENV.md.
  ['apps/api/ENV.md', [apiConfig, reconcileConfig, fleetConfig]],
  ['apps/api/src/workers/retention/ENV.md', retentionConfig],
  ['apps/agent/ENV.md', agentConfig],
  ['apps/merger/ENV.md', mergerConfig],
  ['apps/launcher/ENV.md', launcherConfig],
  ['packages/shared/runtime/ENV-S3.md', s3Config],
];

/** The variable names in the first column of the file's tables (`A` / `A_FILE` rows give both). */
function documentedVariables(markdown: string): string[] {
  const names = new Set<string>();
  for (const line of markdown.split('\n')) {
    const first = /^\|([^|]*)\|/.exec(line)?.[1];
    if (!first) continue;
    for (const m of first.matchAll(/`([A-Z][A-Z0-9_]*)`/g)) names.add(m[1]!);
  }
  return [...names].sort();
}

describe('each ENV.md table lists exactly the variables its configuration schema reads', () => {
  it('reads names from table rows only', () => {
    const md = '`NOT_A_ROW` in prose\n| variable | default |\n|---|---|\n| `A_B` / `A_B_FILE` | `C_D` |\n| `E` | — |\n';
    expect(documentedVariables(md)).toEqual(['A_B', 'A_B_FILE', 'E']);
  });

  it.each(TABLES)('%s', (file, spec) => {
    const documented = documentedVariables(readFileSync(fileURLToPath(new URL(`../../${file}`, import.meta.url)), 'utf8'));
    const read = [spec].flat().flatMap((s) => configVariables(s));
    expect(
      read.filter((v) => !documented.includes(v)),
      `in the schema, not documented in ${file}`,
    ).toEqual([]);
    expect(
      documented.filter((v) => !read.includes(v)),
      `documented in ${file}, not in the schema`,
    ).toEqual([]);
  });
});
