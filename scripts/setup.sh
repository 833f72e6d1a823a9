#!/usr/bin/env bash
# Install what nocflow needs on a fresh Debian machine: nfdump/nfcapd, gobgpd, tmux, and the build tools for
# better-sqlite3 (via apt-get, when missing), and the npm packages (npm ci; better-sqlite3 builds with node-gyp).
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v nfdump  >/dev/null 2>&1 || need_apt+=(nfdump)
command -v gobgpd  >/dev/null 2>&1 || need_apt+=(gobgpd)
command -v tmux    >/dev/null 2>&1 || need_apt+=(tmux)
# better-sqlite3 builds from source (node-gyp: python3, make, a C++ compiler); the demo test lists processes with ps.
command -v python3 >/dev/null 2>&1 || need_apt+=(python3)
command -v make    >/dev/null 2>&1 || need_apt+=(make)
command -v g++     >/dev/null 2>&1 || need_apt+=(g++)
command -v ps      >/dev/null 2>&1 || need_apt+=(procps)
# the alert tests make a STARTTLS certificate for their SMTP server with openssl
command -v openssl >/dev/null 2>&1 || need_apt+=(openssl)
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
