#!/usr/bin/env bash
# Runs every test: core (real embedded SurrealDB), UI logic, server over HTTP, end2end in
# Chromium against a freshly built Quiver, and the official MLflow Python client against it.
# Installs what is missing first (the client's venv through scripts/mlflow-venv.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --e2e
source scripts/env.sh

step() { printf '\n\033[1;34m== %s\033[0m\n' "$*"; }

# One cargo invocation for all Rust tests: the three packages then share one feature resolution,
# the same one `cargo leptos build` uses for the server, so nothing is compiled twice.
claim_target_dir
prune_target_dir
step "a SurrealDB server for the remote-mode tests (tools/surreal: SurrealDB's own server, in memory)"
cargo build --manifest-path tools/surreal/Cargo.toml
export QUIVER_SURREAL="$CARGO_TARGET_DIR/debug/surreal"

step "unit and integration tests: core on real SurrealDB (embedded, and a server), UI logic, server over HTTP"
cargo test -p quiver -p app -p quiver-server --features quiver/server,app/ssr

step "the browser build holds no server-only crates (SurrealDB, argon2, tokio)"
leaked=$(cargo tree -p app --no-default-features --features hydrate --target wasm32-unknown-unknown -e normal --prefix none \
  | grep -E '^(surrealdb|argon2|tokio) ' | sort -u || true)
if [[ -n "$leaked" ]]; then echo "server-only crates in the WASM build: $leaked"; exit 1; fi
echo "none found"

step "build the app (cargo leptos build)"
cargo leptos build

step "end2end in Chromium (Playwright)"
scripts/e2e.sh

step "the official MLflow client against Quiver (pytest, tests/mlflow)"
scripts/mlflow-tests.sh

step "the same suite against two Quiver processes on one SurrealDB server, requests alternating"
scripts/mlflow-cluster-tests.sh
