#!/usr/bin/env bash
# Builds Quiver (server + WASM) and serves it at http://127.0.0.1:3000 with an embedded
# SurrealKV store in ./data. Extra arguments go to `quiver serve` (see `quiver serve --help`).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
source scripts/env.sh
claim_target_dir
prune_target_dir
cargo leptos build
exec "$CARGO_TARGET_DIR/debug/quiver" serve "$@"
