#!/usr/bin/env bash
# Builds the connector component: __MODULE__.wasm (type-check, bundle with the SDK, then
# componentize-js; the versions are pinned in package.json).
set -euo pipefail
cd "$(dirname "$0")"
command -v npm >/dev/null || { echo "error: node and npm are not installed (Node 20 or later)" >&2; exit 1; }
[ -d node_modules ] || npm install --no-audit --no-fund --loglevel=error
npm run --silent build >/dev/null
echo "built __MODULE__.wasm ($(wc -c <__MODULE__.wasm) bytes)"
