#!/usr/bin/env bash
# Runs every test: installs the pinned iTwin.js packages the compatibility tests run on our files,
# builds the example and test connectors (wasm32-wasip2 components), then runs the Rust unit and
# end-to-end tests (scripts/lint.sh checks that the benchmarks build).
set -euo pipefail
cd "$(dirname "$0")/.."

command -v node >/dev/null || { echo "error: node is not installed (the iTwin.js compatibility tests need Node 20)" >&2; exit 1; }
if [ ! -d tests/compat/node_modules/@itwin/core-backend ] || [ tests/compat/package-lock.json -nt tests/compat/node_modules ]; then
  (cd tests/compat && npm ci --legacy-peer-deps --no-audit --no-fund)
fi
scripts/build-guests.sh
cargo test --workspace --exclude itwin-connector
# The guest SDK (crates/connector) in its own target folder: its wit-bindgen shares helper
# crates with wasmtime's macros under other features, and building them together would compile
# wasmtime a second time for the tests.
CARGO_TARGET_DIR="$PWD/target/sdk-build" cargo test -p itwin-connector
# The Python SDK's own tests, on the machine's Python.
python3 -m unittest discover -s sdk/python/tests
# The TypeScript SDK's: its types against the WIT's declarations, then node's test runner.
(cd sdk/typescript && npm run --silent check && npm test --silent)

