#!/usr/bin/env bash
# Runs every test: core (real embedded SurrealDB), UI logic, server over HTTP, and end2end in
# Chromium against a freshly built Quiver. Installs what is missing first.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --e2e
source scripts/env.sh

step() { printf '\n\033[1;34m== %s\033[0m\n' "$*"; }

# One cargo invocation for all Rust tests: the three packages then share one feature resolution,
# the same one `cargo leptos build` uses for the server, so nothing is compiled twice.
step "unit and integration tests: core on real SurrealDB, UI logic, server over HTTP"
cargo test -p quiver -p app -p quiver-server --features quiver/server,app/ssr

step "build the app (cargo leptos build)"
cargo leptos build

step "end2end in Chromium (Playwright)"
scripts/e2e.sh
