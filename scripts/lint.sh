#!/usr/bin/env bash
# The quality gates CI runs before the tests: formatting, clippy with warnings as errors (the
# workspace and every guest, the README's connector included), and the API docs with broken
# links as errors. Exits non-zero at the first gate that fails.
set -euo pipefail
cd "$(dirname "$0")/.."

guests=(guest-examples/rust-*/ tests/guests/rust-*/)
# The README's connector, as scripts/build-guests.sh extracts it.
[ -f target/readme-markers/Cargo.toml ] && guests+=(target/readme-markers/)

echo "== cargo fmt --check" >&2
cargo fmt --all --check
for guest in "${guests[@]}"; do
  cargo fmt --check --manifest-path "$guest/Cargo.toml"
done

echo "== cargo clippy -D warnings" >&2
cargo clippy --workspace --all-targets --quiet -- -D warnings
for guest in "${guests[@]}"; do
  CARGO_TARGET_DIR="$PWD/target/guest-build" \
    cargo clippy --target wasm32-wasip2 --manifest-path "$guest/Cargo.toml" --quiet -- -D warnings
done

echo "== cargo doc -D warnings" >&2
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --quiet
echo "lint: all gates passed" >&2
