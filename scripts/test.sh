#!/usr/bin/env bash
# `npm test`: set up what is missing, type-check, then run every test (real services are
# started by the suite itself: redis-server, Postgres, docker-registry, s3rver, buildah).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
npx tsc -p . --noEmit
npx turbo run typecheck --output-logs=errors-only
npx vitest run "$@"
# Browser tests: Debian's Chromium driven by playwright-core against the real running stack.
if [ $# -eq 0 ]; then npm run --silent e2e; fi
