#!/usr/bin/env bash
# Builds the connector component: __MODULE__.wasm (componentize-py, pinned in requirements.txt,
# in a virtual environment in .venv).
set -euo pipefail
cd "$(dirname "$0")"
command -v python3 >/dev/null || { echo "error: python3 is not installed" >&2; exit 1; }
if [ ! -x .venv/bin/componentize-py ] || ! cmp -s requirements.txt .venv/requirements.txt; then
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
  cp requirements.txt .venv/requirements.txt
fi
.venv/bin/componentize-py -d wit -w connector-world componentize app -p . -o __MODULE__.wasm >/dev/null
echo "built __MODULE__.wasm ($(wc -c <__MODULE__.wasm) bytes)"
