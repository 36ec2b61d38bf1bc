#!/usr/bin/env bash
# `npm test`: set up what is missing, type-check, then run every test (real services are
# started by the suite itself: redis-server, Postgres, docker-registry, s3rver, buildah).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
npx tsc -p . --noEmit
npx turbo run typecheck --output-logs=errors-only
npx vitest run "$@"
