#!/usr/bin/env bash
# Builds the connector component: __MODULE__.wasm (needs rustup; adds the wasm32-wasip2 target).
set -euo pipefail
cd "$(dirname "$0")"
command -v cargo >/dev/null || { echo "error: cargo is not installed (https://rustup.rs)" >&2; exit 1; }
rustup target list --installed | grep -qx wasm32-wasip2 || rustup target add wasm32-wasip2
cargo build --release --target wasm32-wasip2
cp "${CARGO_TARGET_DIR:-target}/wasm32-wasip2/release/__MODULE__.wasm" __MODULE__.wasm
echo "built __MODULE__.wasm ($(wc -c <__MODULE__.wasm) bytes)"
