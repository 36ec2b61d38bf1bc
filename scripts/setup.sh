#!/usr/bin/env bash
# Installs what Archway needs on a Debian/Ubuntu machine with Node 20+, idempotently:
# system packages (only the missing ones), npm dependencies, the Prisma client, the dashboard.
# Usage: scripts/setup.sh [runtime|test|agent]
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-runtime}"

# command → Debian package
declare -A need=([buildah]=buildah [git]=git)
if [ "$mode" != agent ]; then need+=([skopeo]=skopeo [redis-server]=redis-server [openssl]=openssl); fi
if [ "$mode" = test ]; then
  need+=([docker-registry]=docker-registry [busybox]=busybox-static [chromium]=chromium [debootstrap]=debootstrap [prometheus]=prometheus [promtool]=prometheus)
fi
missing=()
for cmd in "${!need[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${need[$cmd]}")
done
# busybox must be the static build: tests copy it into FROM-scratch images.
if [ "$mode" = test ] && ! dpkg -s busybox-static >/dev/null 2>&1; then missing+=(busybox-static); fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "archway setup: installing system packages: ${missing[*]}"
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

node -e 'const [M]=process.versions.node.split(".").map(Number); if (M<20) { console.error("archway needs Node 20 or newer, found "+process.version); process.exit(1) }'

# npm dependencies: reinstall when the lock file changed since the last install.
stamp=node_modules/.archway-lock-hash
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "archway setup: installing npm packages"
  # `npm install` (not `npm ci`): it follows the lock file, and npm 11 records only this
  # machine's optional platform packages (turbo, esbuild), which `npm ci` then rejects.
  npm install --no-audit --no-fund --loglevel=error
  echo "$want" > "$stamp"
fi

# An agent needs neither the database client nor the dashboard.
if [ "$mode" != agent ]; then
  npm run --silent generate >/dev/null
  npm run --silent build -w @archway/web >/dev/null
fi
