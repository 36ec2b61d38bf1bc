#!/usr/bin/env bash
# `npm start`: set up what is missing, then run the whole system on embedded defaults.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh runtime
exec node --import tsx apps/launcher/src/start.ts
