#!/usr/bin/env bash
# Builds the TypeScript connectors into components with componentize-js (called directly:
# `jco componentize` 1.35 is broken), with the toolchain pinned by
# guest-examples/ts-asset-register/package-lock.json (typescript, esbuild, componentize-js):
# check that sdk/typescript/src/wit.d.ts is what jco generates from wit/ (scripts/wit-types.mjs),
# type-check, bundle the connector and the SDK (sdk/typescript) into one ES module, componentize.
# Idempotent: npm ci runs only when a lock file is newer than its node_modules, and a component
# is rebuilt only when something it is built from is newer (componentize-js's output differs
# from build to build, and a new component means a new compile on its first run).
#
# - guest-examples/ts-*/: `npm run build` (their package.json; -d http -d fetch-event, as a
#   connector needs neither) → target/guests/<folder with _>.wasm;
# - tests/guests/ts-*/src/index.ts (type-checked with their tsconfig.json): built with
#   componentize-js's default features, so they import wasi:http as most JavaScript components
#   do → target/guests/<folder with _>.wasm.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v node >/dev/null || { echo "error: node is not installed (the TypeScript connectors need Node 20 to build)" >&2; exit 1; }
# Installed when the lock files change (npm ci starts from scratch).
install() {
  if [ ! -d "$1/node_modules" ] || [ "$1/package-lock.json" -nt "$1/node_modules" ]; then
    (cd "$1" && npm ci --no-audit --no-fund --loglevel=error)
    touch "$1/node_modules"
  fi
}
install sdk/typescript
example=guest-examples/ts-asset-register
install "$example"
tools="$PWD/$example/node_modules/.bin"

# Whether $1 exists and none of the other paths has anything newer.
fresh() {
  local out=$1
  shift
  [ -f "$out" ] && [ -z "$(find "$@" -newer "$out" -print -quit)" ]
}
shared=(sdk/typescript/src sdk/typescript/scripts wit "$example/package.json" "$example/package-lock.json" scripts/build-ts-guests.sh)

mkdir -p target/guests
shopt -s nullglob
for dir in guest-examples/ts-*/; do
  dir=${dir%/}
  name=$(basename "$dir" | tr '-' '_')
  install "$dir"
  if fresh "target/guests/$name.wasm" "$dir/src" "$dir/package.json" "$dir/package-lock.json" "${shared[@]}"; then
    continue
  fi
  echo "building $dir" >&2
  (cd "$dir" && npm run --silent build >/dev/null)
done
for entry in tests/guests/ts-*/src/index.ts; do
  dir=$(dirname "$(dirname "$entry")")
  name=$(basename "$dir" | tr '-' '_')
  fresh "target/guests/$name.wasm" "$dir" "${shared[@]}" && continue
  echo "building $dir" >&2
  "$tools/tsc" --noEmit -p "$dir"
  "$tools/esbuild" "$entry" --bundle --format=esm --platform=neutral '--external:itwin:connector/*' \
    --alias:@itwin-host/connector=./sdk/typescript/src/index.ts --outfile="target/ts-build/$name.js" --log-level=warning
  "$tools/componentize-js" "target/ts-build/$name.js" --wit wit --world-name connector-world -o "target/guests/$name.wasm" >/dev/null
done
for component in target/guests/ts_*.wasm; do
  printf '  %s (%s bytes)\n' "$component" "$(wc -c <"$component" | tr -d ' ')"
done
