#!/usr/bin/env bash
# Regenerates crates/imodel/seed/empty.bim, the empty iModel the writer embeds, with the pinned iTwin.js
# (SnapshotDb.createEmpty). The test `embedded_seed_matches_what_the_seed_script_makes` checks it.
set -euo pipefail
cd "$(dirname "$0")/.."
(cd tests/compat && { [ -d node_modules/@itwin/core-backend ] || npm ci --legacy-peer-deps --no-audit --no-fund; })
node tests/compat/make-seed.js crates/imodel/seed/empty.bim
rm -f crates/imodel/seed/empty.bim-wal crates/imodel/seed/empty.bim-shm
echo "wrote crates/imodel/seed/empty.bim"
