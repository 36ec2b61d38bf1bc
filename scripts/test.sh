#!/usr/bin/env bash
# `npm test`: set up what is missing, type-check, lint, then run every test (real services are
# started by the suite itself: redis-server, Postgres, docker-registry, s3rver, buildah).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
npx tsc -p . --noEmit
npx turbo run typecheck --output-logs=errors-only
# Lint: Biome's rules, then the import rules of .dependency-cruiser.cjs (apps apart, no cycles, features through index.ts).
npm run --silent lint
npx vitest run "$@"
# Browser tests: Debian's Chromium driven by playwright-core against the real running stack.
if [ $# -eq 0 ]; then npm run --silent e2e; fi
