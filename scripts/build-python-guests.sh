#!/usr/bin/env bash
# Builds the Python connectors (guest-examples/python-*/ and tests/guests/python-*/) into
# components with componentize-py, pinned by guest-examples/python-asset-register/requirements.txt,
# installed in a virtual environment under target/python-venv. Each folder's app.py is the app
# module; the SDK (sdk/python) is on its path. Output: target/guests/<folder with _>.wasm.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v python3 >/dev/null || { echo "error: python3 is not installed (the Python connectors need it to build)" >&2; exit 1; }
requirements=guest-examples/python-asset-register/requirements.txt
venv=target/python-venv
# Reinstalled when the pins change.
if [ ! -x "$venv/bin/componentize-py" ] || ! cmp -s "$requirements" "$venv/requirements.txt"; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
  cp "$requirements" "$venv/requirements.txt"
fi

mkdir -p target/guests
shopt -s nullglob
for app in guest-examples/python-*/app.py tests/guests/python-*/app.py; do
  dir=$(dirname "$app")
  name=$(basename "$dir" | tr '-' '_')
  echo "building $dir" >&2
  "$venv/bin/componentize-py" -d wit -w connector-world componentize app \
    -p "$dir" -p sdk/python -o "target/guests/$name.wasm" >/dev/null
  printf '  target/guests/%s.wasm (%s bytes)\n' "$name" "$(wc -c <"target/guests/$name.wasm" | tr -d ' ')"
done
