#!/usr/bin/env bash
# Runs the main job on the example: builds the example connector (a wasm32-wasip2 component)
# and synchronizes its asset register into example.bim (v1, or the given source).
#
# The host is built in the dev profile, whose dependencies (wasmtime, SQLite) are optimised
# (Cargo.toml): scripts/test.sh then reuses that build instead of compiling them a second time
# in release.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f target/guests/asset_register.wasm ] || scripts/build-guests.sh
source="${1:-guest-examples/rust-asset-register/data/site-v1.json}"
cargo run -q -p itwin-host -- run target/guests/asset_register.wasm --source "$source" --output example.bim
