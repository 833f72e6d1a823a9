#!/usr/bin/env bash
# Install what nocflow needs on a fresh Debian machine: nfdump/nfcapd, gobgpd, tmux (via apt-get, when missing)
# and the npm packages (npm ci; better-sqlite3 builds from source with node-gyp).
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v nfdump  >/dev/null 2>&1 || need_apt+=(nfdump)
command -v gobgpd  >/dev/null 2>&1 || need_apt+=(gobgpd)
command -v tmux    >/dev/null 2>&1 || need_apt+=(tmux)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${need_apt[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq "${need_apt[@]}"
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ] || ! node -e "require('better-sqlite3')" 2>/dev/null; then
  echo "setup: npm ci"
  npm ci --no-fund --no-audit
fi
npm run build --silent
