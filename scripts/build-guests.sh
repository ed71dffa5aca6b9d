#!/usr/bin/env bash
# Builds every Rust guest (guest-examples/rust-*/ and tests/guests/rust-*/) as a WebAssembly
# component for wasm32-wasip2 and copies it to target/guests/<crate_name>.wasm.
#
# Each guest is its own workspace (its own lock file and release profile); they share one target
# directory, target/guest-build, so dependencies such as wit-bindgen are compiled once.
set -euo pipefail
cd "$(dirname "$0")/.."

TARGET=wasm32-wasip2
export CARGO_TARGET_DIR="$PWD/target/guest-build"
OUT=target/guests

# Read the list first: `grep -q` stopping early would make rustup fail on a closed pipe.
installed=$(rustup target list --installed)
if ! grep -qx "$TARGET" <<<"$installed"; then
  rustup target add "$TARGET"
fi

# The connector in README.md's "Writing a connector" is built too, so the README cannot show
# code that does not compile (tests/e2e runs it). Its one ```rust block becomes the crate's lib.rs.
readme_crate=target/readme-markers
mkdir -p "$readme_crate/src"
awk '/^```rust$/ {inside = 1; next} /^```$/ {inside = 0} inside' README.md >"$readme_crate/src/lib.rs.new"
if [ ! -s "$readme_crate/src/lib.rs.new" ]; then
  echo "error: README.md has no \`\`\`rust block to build" >&2
  exit 1
fi
# Rewritten only when changed, so cargo does not rebuild it every time.
cmp -s "$readme_crate/src/lib.rs.new" "$readme_crate/src/lib.rs" || mv "$readme_crate/src/lib.rs.new" "$readme_crate/src/lib.rs"
rm -f "$readme_crate/src/lib.rs.new"
cat >"$readme_crate/Cargo.toml.new" <<'TOML'
[package]
name = "readme-markers"
version = "1.0.0"
edition = "2021"
publish = false

[workspace]

[lib]
crate-type = ["cdylib"]

[dependencies]
itwin-connector = { path = "../../crates/connector" }
serde = { version = "1", features = ["derive"] }
serde_json = "1"

[profile.release]
opt-level = "s"
lto = true
strip = true
codegen-units = 1
TOML
cmp -s "$readme_crate/Cargo.toml.new" "$readme_crate/Cargo.toml" || mv "$readme_crate/Cargo.toml.new" "$readme_crate/Cargo.toml"
rm -f "$readme_crate/Cargo.toml.new"
# The example's lock file pins wit-bindgen and serde_json for it as well.
[ -f "$readme_crate/Cargo.lock" ] || cp guest-examples/rust-asset-register/Cargo.lock "$readme_crate/Cargo.lock"

shopt -s nullglob
crates=()
for manifest in guest-examples/rust-*/Cargo.toml tests/guests/rust-*/Cargo.toml "$readme_crate/Cargo.toml"; do
  crates+=("$(dirname "$manifest")")
done
if [ ${#crates[@]} -eq 0 ]; then
  echo "error: no guest crates found (guest-examples/rust-*/, tests/guests/rust-*/)" >&2
  exit 1
fi

mkdir -p "$OUT"
built=()
for crate in "${crates[@]}"; do
  echo "building $crate" >&2
  # Cargo's JSON messages name the artifacts it produced, whatever the crate's lib name; the
  # only .wasm among them is the component (dependencies are rlibs). Diagnostics still go to
  # stderr, rendered.
  messages=$(cargo build --release --target "$TARGET" --manifest-path "$crate/Cargo.toml" \
    --message-format=json-render-diagnostics)
  wasm=$(printf '%s\n' "$messages" | grep '"reason":"compiler-artifact"' \
    | grep -o '"[^"]*\.wasm"' | tr -d '"' | tail -n 1 || true)
  if [ -z "$wasm" ] || [ ! -f "$wasm" ]; then
    echo "error: $crate produced no .wasm (is it a cdylib?)" >&2
    exit 1
  fi
  dest="$OUT/$(basename "$wasm")"
  cp "$wasm" "$dest"
  built+=("$dest")
done

# The Python and TypeScript connectors, each with its pinned toolchain.
scripts/build-python-guests.sh
[ ! -x scripts/build-ts-guests.sh ] || scripts/build-ts-guests.sh

echo "built components:"
for component in "${built[@]}"; do
  printf '  %s (%s bytes)\n' "$component" "$(wc -c <"$component" | tr -d ' ')"
done
