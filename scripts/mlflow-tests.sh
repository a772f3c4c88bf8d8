#!/usr/bin/env bash
# Runs the MLflow client suite (tests/mlflow, the official `mlflow` Python client) against a
# Quiver it starts on a free loopback port with a fresh in-memory store, then stops it.
# Needs the debug build (`cargo build` or `cargo leptos build`). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
venv=$(scripts/mlflow-venv.sh)
signing=$(scripts/mlflow-venv.sh signing)

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
data=$(mktemp -d)
log="$data/quiver.log"
password=mlflow-suite-admin-password
QUIVER_ADMIN_PASSWORD=$password RUST_LOG=warn \
  "$CARGO_TARGET_DIR/debug/quiver" serve --addr "127.0.0.1:$port" --db mem:// --webhook-allow-private --data-dir "$data" >"$log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true; rm -rf "$data"' EXIT
for _ in $(seq 1 100); do
  curl -fsS -o /dev/null "http://127.0.0.1:$port/login" 2>/dev/null && break
  kill -0 $server 2>/dev/null || { cat "$log"; echo "quiver exited early"; exit 1; }
  sleep 0.2
done
# A personal access token for the suite, created over HTTP Basic.
token=$(curl -fsS -u "admin:$password" -H 'content-type: application/json' \
  -d '{"name": "mlflow-suite", "expires_in_days": 1}' "http://127.0.0.1:$port/api/quiver/v1/tokens" \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["secret"])')
MLFLOW_TRACKING_URI="http://127.0.0.1:$port" MLFLOW_TRACKING_TOKEN="$token" \
  QUIVER_MODEL_SIGNING="$signing/bin/model_signing" QUIVER_DATA_DIR="$data" QUIVER_BIN="$CARGO_TARGET_DIR/debug/quiver" \
  "$venv/bin/pytest" tests/mlflow -q -p no:cacheprovider "$@" || { tail -40 "$log"; exit 1; }
