#!/usr/bin/env bash
# The package as a NOC installs it: `npm pack` (which builds first), `npm install -g` into a temporary prefix, then
# the installed `nocflow` run on a generated nfcapd file. Packaging can never silently break again (CI runs this).
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tgz=$(npm pack --silent --pack-destination "$work" | tail -n 1)
echo "pack-check: packed $tgz"
# Exactly what runs: compiled code, bin, README, LICENSE; no tests, benches or TypeScript sources.
tar -tzf "$work/$tgz" > "$work/list"
if grep -E '^package/(test|bench|src)/|\.ts$|\.map$' "$work/list"; then echo "pack-check: the package ships files the runtime does not need" >&2; exit 1; fi
for need in package/bin/nocflow.js package/dist/src/cli/main.js package/LICENSE package/README.md package/deploy/nocflow-engine.service package/deploy/nocflow.sysusers; do
  grep -qx "$need" "$work/list" || { echo "pack-check: $need missing from the package" >&2; exit 1; }
done
prefix="$work/prefix"
npm install -g --prefix "$prefix" --no-fund --no-audit --loglevel=error "$work/$tgz"
bin="$prefix/bin/nocflow"
version=$("$bin" --version)
[ "$version" = "$(node -p "require('./package.json').version")" ] || { echo "pack-check: installed nocflow --version says $version" >&2; exit 1; }
# A generated window (real nfcapd) analysed by the installed command, from another directory, with a private config.
export NOCFLOW_CONFIG_DIR="$work/config" NOCFLOW_DATA_DIR="$work/data"
cd "$work"
file="$work/nfcapd.202611221405"
"$bin" gen syn-scan --file "$file" >/dev/null
"$bin" analyze "$file" --json > "$work/result.json"
node -e '
const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
if (!(r.flows > 0) || !r.anomalies.some((a) => a.type === "scan")) { console.error("pack-check: the installed analyze found no scan", r.flows); process.exit(1); }
console.log(`pack-check: installed nocflow ${process.argv[2]} analysed ${r.flows} flows, ${r.anomalies.length} anomalies`);
' "$work/result.json" "$version"
"$bin" engine --help >/dev/null
# The service files: the shipped unit is what the installed command renders from the defaults.
"$bin" engine unit --defaults | cmp - "$prefix/lib/node_modules/nocflow/deploy/nocflow-engine.service" || { echo "pack-check: the shipped unit differs from \`nocflow engine unit --defaults\`" >&2; exit 1; }
# The readiness addon (unix-dgram) built and loads from the installed package.
(cd "$prefix/lib/node_modules/nocflow" && node -e 'require("unix-dgram").createSocket("unix_dgram").close()') || { echo "pack-check: the unix-dgram addon does not load from the installed package" >&2; exit 1; }
echo "pack-check: service files shipped; unix-dgram loads"
