#!/usr/bin/env bash
# Runs the MLflow client suite (tests/mlflow) against two Quiver processes on one SurrealDB
# server, behind tests/mlflow/round_robin_proxy.py, which sends each request to the other process
# in turn: a read right after a write usually lands on the process that did not write.
#   - SurrealDB: $CARGO_TARGET_DIR/debug/surreal (tools/surreal, built here when missing), in
#     memory, root root:root; Quiver's namespace, database and an OWNER database user are defined
#     as root over HTTP /sql, and both processes sign in as that user.
#   - Both `quiver serve` start at the same moment (they race to migrate the schema and create
#     the admin account), with one secret key file and one --data-dir (artifacts are shared, as
#     on a shared filesystem); both run a webhook dispatcher.
#   - pytest gets the proxy as MLFLOW_TRACKING_URI and QUIVER_DB/QUIVER_DB_USER/QUIVER_DB_PASS, so
#     a test that runs the CLI (QUIVER_BIN, e.g. `quiver verify`) opens the same store.
# At the end the proxy prints how many requests each process got; the run fails when pytest
# fails or when either process got none. Needs the debug build (`cargo build` or `cargo leptos
# build`). Extra arguments go to pytest. QUIVER_CLUSTER_KEEP=1 keeps the temporary directory
# (logs of the three servers, proxy.jsonl: one line per request with the process that served it).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
venv=$(scripts/mlflow-venv.sh)
signing=$(scripts/mlflow-venv.sh signing)

surreal="$CARGO_TARGET_DIR/debug/surreal"
quiver="$CARGO_TARGET_DIR/debug/quiver"
if [[ ! -x "$surreal" ]]; then
  cargo build --manifest-path tools/surreal/Cargo.toml
fi
[[ -x "$quiver" ]] || { echo "$quiver is missing: build it with cargo build (or cargo leptos build)"; exit 1; }

# Four distinct free loopback ports, held open together while they are picked.
read -r sport port_a port_b pport < <(python3 -c '
import socket
socks = [socket.socket() for _ in range(4)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))')

tmp=$(mktemp -d)
data="$tmp/data"
mkdir -p "$data"
password=mlflow-suite-admin-password
db_user=quiver
db_pass=quiver-db-pass
proxy=
started=$SECONDS

stop() { # stop PID NAME: SIGTERM, up to 20 s to exit, then SIGKILL (said, since it is a bug)
  kill "$1" 2>/dev/null || return 0
  for _ in $(seq 1 100); do
    kill -0 "$1" 2>/dev/null || break
    sleep 0.2
  done
  if kill -0 "$1" 2>/dev/null; then
    echo "$2 did not exit within 20 s of SIGTERM; killing it"
    kill -9 "$1" 2>/dev/null || true
  fi
  wait "$1" 2>/dev/null || true
}
stop_proxy() { # prints the proxy's per-upstream counts (its stderr)
  [[ -n "$proxy" ]] || return 0
  stop "$proxy" proxy
  proxy=
  cat "$tmp/proxy.err"
}
cleanup() {
  stop_proxy
  # The Quivers before the server they use.
  if [[ -n "${pid_a:-}" ]]; then stop "$pid_a" "quiver a"; fi
  if [[ -n "${pid_b:-}" ]]; then stop "$pid_b" "quiver b"; fi
  if [[ -n "${surreal_pid:-}" ]]; then stop "$surreal_pid" surreal; fi
  if [[ -n "${QUIVER_CLUSTER_KEEP:-}" ]]; then
    echo "kept $tmp"
  else
    rm -rf "$tmp"
  fi
}
trap cleanup EXIT

wait_http() { # wait_http URL PID LOG NAME
  for _ in $(seq 1 300); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    kill -0 "$2" 2>/dev/null || { tail -40 "$3"; echo "$4 exited early"; exit 1; }
    sleep 0.2
  done
  tail -40 "$3"
  echo "$4 did not answer at $1"
  exit 1
}

# SurrealDB, in memory.
"$surreal" start --username root --password root --bind "127.0.0.1:$sport" memory >"$tmp/surreal.log" 2>&1 &
surreal_pid=$!
wait_http "http://127.0.0.1:$sport/health" "$surreal_pid" "$tmp/surreal.log" surreal

# What an operator does once, as root: Quiver's namespace, database and database user.
curl -fsS -u root:root -H 'Accept: application/json' \
  --data-binary "DEFINE NAMESPACE quiver; USE NS quiver; DEFINE DATABASE quiver; USE NS quiver DB quiver;
    DEFINE USER $db_user ON DATABASE PASSWORD '$db_pass' ROLES OWNER;" \
  "http://127.0.0.1:$sport/sql" >"$tmp/define.json"
python3 -c '
import json, sys
results = json.load(open(sys.argv[1]))
bad = [r for r in results if r.get("status") != "OK"]
if bad or len(results) != 5:
    sys.exit(f"defining the namespace, database and user failed: {results}")' "$tmp/define.json"

# One key for both (64 hex digits, as load_or_create_key reads it).
(umask 077 && python3 -c 'import secrets; print(secrets.token_hex(32))' >"$tmp/secret.key")

# Two processes, started together.
for name in a b; do
  port_var="port_$name"
  QUIVER_ADMIN_PASSWORD=$password RUST_LOG=warn \
    "$quiver" serve --addr "127.0.0.1:${!port_var}" \
    --db "ws://127.0.0.1:$sport" --db-user "$db_user" --db-pass "$db_pass" \
    --secret-key-file "$tmp/secret.key" --data-dir "$data" --webhook-allow-private \
    >"$tmp/quiver-$name.log" 2>&1 &
  eval "pid_$name=\$!"
done
wait_http "http://127.0.0.1:$port_a/login" "$pid_a" "$tmp/quiver-a.log" "quiver a"
wait_http "http://127.0.0.1:$port_b/login" "$pid_b" "$tmp/quiver-b.log" "quiver b"
echo "surreal on $sport; quiver a on $port_a, quiver b on $port_b; round-robin proxy on $pport"

python3 tests/mlflow/round_robin_proxy.py "$pport" "$port_a" "$port_b" --log "$tmp/proxy.jsonl" 2>"$tmp/proxy.err" &
proxy=$!
for _ in $(seq 1 50); do
  python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)' "$pport" 2>/dev/null && break
  kill -0 "$proxy" 2>/dev/null || { cat "$tmp/proxy.err"; echo "the proxy exited early"; exit 1; }
  sleep 0.1
done

# A personal access token for the suite, created over HTTP Basic through the proxy.
token=$(curl -fsS -u "admin:$password" -H 'content-type: application/json' \
  -d '{"name": "mlflow-suite", "expires_in_days": 1}' "http://127.0.0.1:$pport/api/quiver/v1/tokens" \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["secret"])')

status=0
MLFLOW_TRACKING_URI="http://127.0.0.1:$pport" MLFLOW_TRACKING_TOKEN="$token" \
  QUIVER_MODEL_SIGNING="$signing/bin/model_signing" QUIVER_DATA_DIR="$data" QUIVER_BIN="$quiver" \
  QUIVER_DB="ws://127.0.0.1:$sport" QUIVER_DB_USER="$db_user" QUIVER_DB_PASS="$db_pass" \
  "$venv/bin/pytest" tests/mlflow -q -p no:cacheprovider "$@" || status=$?

echo "requests per process (a: $port_a, b: $port_b):"
stop_proxy >"$tmp/counts.txt"
cat "$tmp/counts.txt"
for port in "$port_a" "$port_b"; do
  if ! grep -Eq "upstream 127\.0\.0\.1:$port requests=[1-9]" "$tmp/counts.txt"; then
    echo "quiver on $port got no requests"
    status=1
  fi
done
if (( status != 0 )); then
  for name in a b; do
    echo "--- quiver $name (last 40 lines of its log)"
    tail -40 "$tmp/quiver-$name.log"
  done
fi
echo "took $((SECONDS - started)) s"
exit $status
