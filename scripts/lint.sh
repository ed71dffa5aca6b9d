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
cargo clippy --workspace --exclude itwin-connector --all-targets --quiet -- -D warnings
CARGO_TARGET_DIR="$PWD/target/sdk-build" cargo clippy -p itwin-connector --all-targets --quiet -- -D warnings
for guest in "${guests[@]}"; do
  CARGO_TARGET_DIR="$PWD/target/guest-build" \
    cargo clippy --target wasm32-wasip2 --manifest-path "$guest/Cargo.toml" --quiet -- -D warnings
done

echo "== cargo doc -D warnings" >&2
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --exclude itwin-connector --no-deps --quiet
RUSTDOCFLAGS="-D warnings" CARGO_TARGET_DIR="$PWD/target/sdk-build" cargo doc -p itwin-connector --no-deps --quiet
echo "== one build of the dependencies for run-example and the tests" >&2
# scripts/run-example.sh builds the binary, scripts/test.sh the tests: if a test-only dependency
# turns on a feature of a crate under wasmtime, the second command compiles wasmtime again.
artifacts() { cargo "$@" --message-format=json 2>/dev/null | grep '"reason":"compiler-artifact"' \
  | grep -o '"filenames":\["[^"]*' | sed 's/.*"//' | grep -v '/libitwin_' | sort; }
# (The guest SDK is built apart, as in scripts/test.sh: see there.)
missing=$(comm -23 <(artifacts build -p itwin-host) <(artifacts test --workspace --exclude itwin-connector --no-run))
if [ -n "$missing" ]; then
  echo "error: the tests build these dependencies differently from \`cargo run -p itwin-host\`:" >&2
  echo "$missing" >&2
  echo "hint: a dev-dependency turns on a feature; ask for it in crates/host/Cargo.toml" >&2
  exit 1
fi

echo "lint: all gates passed" >&2
