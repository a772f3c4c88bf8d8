#!/usr/bin/env bash
# Starts the built Quiver on a free loopback port with a fresh in-memory store, runs the
# Playwright suite against it in Debian's Chromium, and stops the server again.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
log=$(mktemp)
QUIVER_ADMIN_PASSWORD=e2e-admin-password RUST_LOG=warn \
  "$CARGO_TARGET_DIR/debug/quiver" serve --addr "127.0.0.1:$port" --webhook-allow-private --db mem:// --data-dir "$(mktemp -d)" >"$log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  curl -fsS -o /dev/null "http://127.0.0.1:$port/login" 2>/dev/null && break
  kill -0 $server 2>/dev/null || { cat "$log"; echo "quiver exited early"; exit 1; }
  sleep 0.2
done
cd end2end
QUIVER_URL="http://127.0.0.1:$port" QUIVER_ADMIN_PASSWORD=e2e-admin-password npx playwright test "$@" || { tail -50 "$log"; exit 1; }
