#!/usr/bin/env bash
# Builds the TypeScript connectors into components with componentize-js (called directly:
# `jco componentize` 1.35 is broken), with the toolchain pinned by
# guest-examples/ts-asset-register/package-lock.json (typescript, esbuild, componentize-js):
# type-check, bundle the connector and the SDK (sdk/typescript) into one ES module, componentize.
#
# - guest-examples/ts-*/: `npm run build` (their package.json; -d http -d fetch-event, as a
#   connector needs neither) → target/guests/<folder with _>.wasm;
# - tests/guests/ts-*/src/index.ts: built with componentize-js's default features, so they
#   import wasi:http as most JavaScript components do → target/guests/<folder with _>.wasm.
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

mkdir -p target/guests
shopt -s nullglob
for dir in guest-examples/ts-*/; do
  dir=${dir%/}
  echo "building $dir" >&2
  install "$dir"
  (cd "$dir" && npm run --silent build >/dev/null)
done
for entry in tests/guests/ts-*/src/index.ts; do
  dir=$(dirname "$(dirname "$entry")")
  name=$(basename "$dir" | tr '-' '_')
  echo "building $dir" >&2
  "$tools/esbuild" "$entry" --bundle --format=esm --platform=neutral '--external:itwin:connector/*' \
    --alias:@itwin-host/connector=./sdk/typescript/src/index.ts --outfile="target/ts-build/$name.js" --log-level=warning
  "$tools/componentize-js" "target/ts-build/$name.js" --wit wit --world-name connector-world -o "target/guests/$name.wasm" >/dev/null
done
for component in target/guests/ts_*.wasm; do
  printf '  %s (%s bytes)\n' "$component" "$(wc -c <"$component" | tr -d ' ')"
done
