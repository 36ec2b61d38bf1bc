import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The import rules of `npm run lint` (.dependency-cruiser.cjs), run by the real depcruise on a small
// tree laid out like this repo: each rule must report its bad import and nothing else.
const ROOT = resolve(import.meta.dirname, '../..');
const DEPCRUISE = join(ROOT, 'node_modules/.bin/depcruise');
const CONFIG = join(ROOT, '.dependency-cruiser.cjs');

const FILES: Record<string, string> = {
  'tsconfig.base.json': '{ "compilerOptions": { "module": "NodeNext", "moduleResolution": "NodeNext", "allowImportingTsExtensions": true } }',
  // An app reaching into another app, by relative path, from production code and from a test.
  'apps/agent/src/main.ts': "import { publish } from '../../merger/src/publish.ts';\nexport const run = publish;\n",
  'apps/agent/src/main.test.ts': "import { publish } from '../../merger/src/publish.ts';\nexport const t = publish;\n",
  'apps/merger/src/publish.ts': 'export const publish = 1;\n',
  // A cycle of two modules.
  'packages/shared/runtime/src/a.ts': "import { b } from './b.ts';\nexport const a = () => b;\n",
  'packages/shared/runtime/src/b.ts': "import { a } from './a.ts';\nexport const b = () => a;\n",
  // The browser-safe contract importing the runtime package and a Node builtin.
  'packages/shared/contract/src/index.ts':
    "import { a } from '../../runtime/src/a.ts';\nimport { readFileSync } from 'node:fs';\nexport const c = [a, readFileSync];\n",
  // The dashboard importing a Node builtin and a Node-only package; its tests may (they run in Node).
  'apps/web/src/app.tsx': "import { readFileSync } from 'node:fs';\nimport Redis from 'ioredis';\nexport const App = [readFileSync, Redis];\n",
  'node_modules/ioredis/package.json': '{ "name": "ioredis", "main": "index.js" }',
  'node_modules/ioredis/index.js': 'module.exports = class Redis {};\n',
  'apps/web/src/app.test.tsx': "import { createServer } from 'node:http';\nexport const s = createServer;\n",
  // API features: one through the other's index.ts (allowed), one into its internals (not), a test into internals (allowed).
  'apps/api/src/http/builds/index.ts': "export { createBuild } from './create.ts';\n",
  'apps/api/src/http/builds/create.ts': 'export const createBuild = 1;\n',
  'apps/api/src/http/repos/trigger.ts': "import { createBuild } from '../builds/index.ts';\nexport const t = createBuild;\n",
  'apps/api/src/http/repos/service.ts': "import { createBuild } from '../builds/create.ts';\nexport const s = createBuild;\n",
  'apps/api/src/http/repos/repos.test.ts': "import { createBuild } from '../builds/create.ts';\nexport const r = createBuild;\n",
  // A worker using an HTTP feature's internals (not) and its index.ts (allowed), infra importing a
  // feature, production code importing a test helper.
  'apps/api/src/workers/recorder/apply.ts': "import { createBuild } from '../../http/builds/create.ts';\nexport const ap = createBuild;\n",
  'apps/api/src/workers/reconciler/repair.ts': "import { createBuild } from '../../http/builds/index.ts';\nexport const rp = createBuild;\n",
  'apps/api/src/infra/db.ts': "import { t } from '../http/repos/trigger.ts';\nexport const db = t;\n",
  'apps/api/src/main.ts': "import { fixture } from './testing/fixture.ts';\nimport { db } from './infra/db.ts';\nexport const m = [fixture, db];\n",
  'apps/api/src/testing/fixture.ts': 'export const fixture = 1;\n',
};

interface Violation {
  rule: { name: string };
  from: string;
  to: string;
}

let dir: string;
let violations: Violation[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'archway-lint-'));
  for (const [path, text] of Object.entries(FILES)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  const depcruise = (format: string) =>
    spawnSync(DEPCRUISE, ['--config', CONFIG, '--output-type', format, 'apps', 'packages'], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
  const json = depcruise('json');
  expect(json.stderr).toBe('');
  violations = JSON.parse(json.stdout).summary.violations;
  // As `npm run lint` runs it: exits with the number of errors, so the lint step fails.
  const lint = depcruise('err');
  expect(lint.status).toBe(violations.length);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const reported = (rule: string) =>
  violations
    .filter((v) => v.rule.name === rule)
    .map((v) => `${v.from} → ${v.to}`)
    .sort();

describe('npm run lint: import rules', () => {
  it('reports an app importing another app, from a test as well', () => {
    expect(reported('no-app-to-app')).toEqual([
      'apps/agent/src/main.test.ts → apps/merger/src/publish.ts',
      'apps/agent/src/main.ts → apps/merger/src/publish.ts',
    ]);
  });

  it('reports an import cycle', () => {
    // Reported once, where the cruise enters it.
    expect(reported('no-circular')).toEqual(['packages/shared/runtime/src/a.ts → packages/shared/runtime/src/b.ts']);
  });

  it('keeps the contract and the dashboard free of Node', () => {
    expect(reported('contract-is-browser-safe')).toEqual(['packages/shared/contract/src/index.ts → packages/shared/runtime/src/a.ts']);
    expect(reported('contract-no-node-builtins')).toEqual(['packages/shared/contract/src/index.ts → fs']);
    expect(reported('web-no-node-builtins')).toEqual(['apps/web/src/app.tsx → fs']);
    expect(reported('web-is-browser-only')).toEqual(['apps/web/src/app.tsx → node_modules/ioredis/index.js']);
  });

  it('lets a feature use another only through its index.ts (tests exempt)', () => {
    expect(reported('api-feature-internals').sort()).toEqual([
      'apps/api/src/http/repos/service.ts → apps/api/src/http/builds/create.ts',
      'apps/api/src/workers/recorder/apply.ts → apps/api/src/http/builds/create.ts',
    ]);
    expect(reported('api-workers-not-http')).toEqual(['apps/api/src/workers/recorder/apply.ts → apps/api/src/http/builds/create.ts']);
    expect(reported('api-infra-is-the-bottom')).toEqual(['apps/api/src/infra/db.ts → apps/api/src/http/repos/trigger.ts']);
  });

  it('reports production code importing test code', () => {
    expect(reported('no-prod-to-test')).toEqual(['apps/api/src/main.ts → apps/api/src/testing/fixture.ts']);
  });

  it('reports nothing else', () => {
    const expected = new Set([
      'no-app-to-app',
      'no-circular',
      'contract-is-browser-safe',
      'contract-no-node-builtins',
      'web-no-node-builtins',
      'web-is-browser-only',
      'api-feature-internals',
      'api-workers-not-http',
      'api-infra-is-the-bottom',
      'no-prod-to-test',
    ]);
    expect(violations.filter((v) => !expected.has(v.rule.name))).toEqual([]);
    // One per rule a bad import breaks (the worker reaching into builds breaks two); the allowed ones pass.
    expect(violations).toHaveLength(12);
  });
});
