import { defineConfig } from 'vitest/config';

// One suite for the whole repo. Real services (redis-server, Postgres, docker-registry) are
// started once by test/global-setup.ts; each test file isolates itself with its own database
// (test/support/db.ts) and its own Redis key prefix.
export default defineConfig({
  test: {
    include: ['apps/**/*.test.{ts,tsx}', 'packages/**/*.test.ts', 'prisma/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['**/node_modules/**', 'apps/api/src/generated/**'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default'],
  },
});
