#!/usr/bin/env bash
# Runs every test: core (real embedded SurrealDB), UI logic, server over HTTP, and end2end in
# Chromium against a freshly built Quiver. Installs what is missing first.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --e2e
source scripts/env.sh

step() { printf '\n\033[1;34m== %s\033[0m\n' "$*"; }

step "core: names, services, store (cargo test -p quiver)"
cargo test -p quiver --features server

step "ui logic (cargo test -p app)"
cargo test -p app --features ssr --lib

step "server over HTTP (cargo test -p quiver-server)"
cargo test -p quiver-server

step "build the app (cargo leptos build)"
cargo leptos build

step "end2end in Chromium (Playwright)"
scripts/e2e.sh
