#!/usr/bin/env bash
# Load benchmark of the deployment shapes, in one run, through the same MLflow REST calls as
# scripts/bench-mlflow.sh: Quiver on embedded SurrealKV (read cache on, and off), one Quiver on a
# SurrealDB server (SurrealKV on disk, `ws://`, as a database user) with its read cache (kept
# coherent across processes) and without it, and two Quiver processes on that server with the
# clients split between them. Reads and a write at concurrency 1 and 16; then reads on one process
# while the other writes (what coherence costs when the cache keeps being invalidated). req/s, p50
# and p99 per shape, as Markdown tables (also $BENCH_OUT).
#
#   BENCH_MODELS     models to create (default 500)           BENCH_VERSIONS  versions each (5)
#   BENCH_DURATION   seconds per wrk run (10)                 BENCH_ROTATE    names reads rotate over (300)
#   BENCH_OUT        where the table goes (/tmp/bench-cluster.md)
#   BENCH_SKIP_BUILD=1  use the existing release binaries (quiver, and surreal from tools/surreal)
#   BENCH_PROFILE=debug  the debug binaries instead (to try the script quickly, not to measure)
#
# Needs wrk and the MLflow venv (for the populate script). Everything it starts is killed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
source scripts/bench-wrk.sh   # lua (request scripts), parse (wrk output)

models=${BENCH_MODELS:-500}
versions=${BENCH_VERSIONS:-5}
duration=${BENCH_DURATION:-10}
rotate=${BENCH_ROTATE:-300}
out=${BENCH_OUT:-/tmp/bench-cluster.md}
(( rotate > models )) && rotate=$models
alias_version=$(( versions < 3 ? versions : 3 ))
command -v wrk >/dev/null || { echo "bench-cluster: wrk is not installed" >&2; exit 1; }

if [[ "${BENCH_SKIP_BUILD:-}" != 1 ]]; then
  claim_target_dir
  cargo build --release -p quiver -p app -p quiver-server --features quiver/server,app/ssr
  cargo build --release --manifest-path tools/surreal/Cargo.toml
fi
quiver="$CARGO_TARGET_DIR/${BENCH_PROFILE:-release}/quiver"
surreal="$CARGO_TARGET_DIR/${BENCH_PROFILE:-release}/surreal"
venv=$(scripts/mlflow-venv.sh)

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
work=$(mktemp -d /tmp/bench-cluster.XXXXXX)
mkdir -p "$work/lua" "$work/shared"
pids=()
stop() {
  for pid in "${pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL -- "-$pid" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap stop EXIT
trap 'exit 130' INT TERM

wait_for() { # log url seconds
  local i
  for i in $(seq 1 $(( $3 * 5 ))); do
    curl -fsS -o /dev/null --max-time 2 "$2" 2>/dev/null && return 0
    sleep 0.2
  done
  tail -30 "$1" >&2; echo "bench-cluster: $2 did not answer within $3 s" >&2; exit 1
}
password="bench-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$work/secret.key"
base="" last_pid=""
start_quiver() { # name db-url extra... → sets $base and $last_pid (not in a subshell: pids are kept)
  local name=$1 db=$2 port; shift 2
  port=$(free_port)
  QUIVER_ADMIN_PASSWORD=$password RUST_LOG=warn setsid "$quiver" serve --addr "127.0.0.1:$port" --db "$db" \
    --data-dir "$work/$name-data" --secret-key-file "$work/secret.key" "$@" >"$work/$name.log" 2>&1 &
  last_pid=$!
  pids+=($last_pid)
  base="http://127.0.0.1:$port"
  wait_for "$work/$name.log" "$base/readyz" 120
}
stop_pid() { kill -TERM -- "-$1" 2>/dev/null || true; while kill -0 "$1" 2>/dev/null; do sleep 0.2; done; }
token_for() { # base → a token
  curl -fsS -u "admin:$password" -H 'content-type: application/json' -d '{"name": "bench", "expires_in_days": 1}' \
    "$1/api/quiver/v1/tokens" | python3 -c 'import json, sys; print(json.load(sys.stdin)["secret"])'
}
populate() { # label url token
  timeout 1500 "$venv/bin/python" scripts/bench_mlflow_populate.py "$2" --label "$1" --token "$3" \
    --models "$models" --versions "$versions" --threads 8 --deadline 1200
}

# --- the shapes --------------------------------------------------------------------------------
start_quiver embedded "surrealkv://$work/embedded.db"; embedded=$base embedded_pid=$last_pid
embedded_token=$(token_for "$embedded")
echo "populating embedded: $models models x $versions versions" >&2
pop_embedded=$(populate embedded "$embedded" "$embedded_token"); echo "$pop_embedded" >&2

sport=$(free_port)
setsid "$surreal" start --username root --password root --bind "127.0.0.1:$sport" "surrealkv://$work/server.db" \
  >"$work/surreal.log" 2>&1 &
pids+=($!)
wait_for "$work/surreal.log" "http://127.0.0.1:$sport/health" 60
curl -fsS -u root:root -H 'accept: application/json' "http://127.0.0.1:$sport/sql" \
  -d "DEFINE NAMESPACE quiver; USE NS quiver; DEFINE DATABASE quiver; USE NS quiver DB quiver;
      DEFINE USER quiver ON DATABASE PASSWORD 'bench-db-pass' ROLES OWNER;" >/dev/null
remote=(--db-user quiver --db-pass bench-db-pass)
start_quiver remote-a "ws://127.0.0.1:$sport" "${remote[@]}"; remote_a=$base
remote_token=$(token_for "$remote_a")
echo "populating the SurrealDB server through one Quiver" >&2
pop_remote=$(populate remote "$remote_a" "$remote_token"); echo "$pop_remote" >&2

# --- wrk scripts (as in bench-mlflow.sh) -------------------------------------------------------
mlflow_requests   # search_models is written too, not measured here
ops=(get_model get_version get_alias search_versions create_version)
declare -A label=(
  [get_model]="get model" [get_version]="get version" [get_alias]="get version by alias"
  [search_versions]="search versions by name" [create_version]="create version (write)")

run() { # out token op threads conns url [offset]
  BENCH_TOKEN="$2" BENCH_OFFSET="${7:-0}" timeout $(( duration + 30 )) wrk -t"$4" -c"$5" -d"${duration}s" \
    --timeout 5s --latency -s "$work/lua/$3.lua" "$6" >"$1" 2>&1 || { cat "$1" >&2; exit 1; }
}
cell() { # rps p50 p99 n bad
  awk -v r="$1" -v a="$2" -v b="$3" -v n="$4" -v bad="$5" 'BEGIN {
    if (n == 0) { printf "0 | - | -"; exit }
    printf "%.0f | %.2f | %.2f%s", r, a, b, (bad > 0 ? " (" bad " errors)" : "") }'
}
raw="${out%.md}.wrk"; rm -rf "$raw"; mkdir -p "$raw"
measure() { # shape op conc → table cells; shape "pair" splits the clients between remote-a and -b
  local shape=$1 op=$2 conc=$3 t f
  if (( conc == 1 )); then t=1; else t=2; fi
  case $shape in
    embedded) run "$raw/$shape-$op-$conc.txt" "$embedded_token" "$op" "$t" "$conc" "$embedded" ;;
    nocache) run "$raw/$shape-$op-$conc.txt" "$nocache_token" "$op" "$t" "$conc" "$nocache" ;;
    remote) run "$raw/$shape-$op-$conc.txt" "$remote_token" "$op" "$t" "$conc" "$remote_a" ;;
    remote_nocache) run "$raw/$shape-$op-$conc.txt" "$remote_token" "$op" "$t" "$conc" "$remote_c" ;;
    mixed | mixed_nocache) # reads on B (or on the cache-less C) while A registers versions
      local reader=$remote_b
      [[ $shape == mixed_nocache ]] && reader=$remote_c
      run "$raw/$shape-writes-$conc.txt" "$remote_token" create_version 1 2 "$remote_a" &
      local w=$!
      run "$raw/$shape-$op-$conc.txt" "$remote_token" "$op" 1 "$conc" "$reader" 37
      wait $w
      read -r wr _ _ _ _ _ < <(parse "$raw/$shape-writes-$conc.txt")
      printf '%.0f' "$wr" >"$raw/$shape-$op-$conc.writes"
      ;;
    pair)
      local half=$(( conc / 2 ))
      run "$raw/pair-a-$op-$conc.txt" "$remote_token" "$op" 1 "$half" "$remote_a" 0 &
      local w1=$!
      run "$raw/pair-b-$op-$conc.txt" "$remote_token" "$op" 1 "$half" "$remote_b" 131 &
      local w2=$!
      wait $w1; wait $w2
      read -r r1 a1 b1 n1 e1 s1 < <(parse "$raw/pair-a-$op-$conc.txt"); e1=$(( e1 + s1 ))
      read -r r2 a2 b2 n2 e2 s2 < <(parse "$raw/pair-b-$op-$conc.txt"); e2=$(( e2 + s2 ))
      # Throughput adds up; latency is the worse of the two processes.
      awk -v r1="$r1" -v r2="$r2" -v a1="$a1" -v a2="$a2" -v b1="$b1" -v b2="$b2" -v n1="$n1" -v n2="$n2" -v e1="$e1" -v e2="$e2" \
        'BEGIN { printf "%s %s %s %d %d\n", r1 + r2, (a1 > a2 ? a1 : a2), (b1 > b2 ? b1 : b2), n1 + n2, e1 + e2 }' \
        >"$raw/pair-$op-$conc.sum"
      ;;
  esac
  if [[ $shape == pair ]]; then f="$raw/pair-$op-$conc.sum"; read -r r a b n e <"$f"
  else read -r r a b n e s < <(parse "$raw/$shape-$op-$conc.txt"); e=$(( e + s )); fi
  cell "$r" "$a" "$b" "$n" "$e"
}

# Embedded without the read cache: the same store, restarted with --read-cache-size 0.
stop_pid "$embedded_pid"
start_quiver nocache "surrealkv://$work/embedded.db" --read-cache-size 0; nocache=$base nocache_pid=$last_pid
nocache_token=$embedded_token

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
declare -A table
echo "embedded, read cache off" >&2
for op in "${ops[@]}"; do for c in 1 16; do table[nocache,$op,$c]=$(measure nocache "$op" "$c"); done; done
# And on again (the same store and data), warmed by one pass.
stop_pid "$nocache_pid"
start_quiver embedded2 "surrealkv://$work/embedded.db"; embedded=$base
echo "embedded, read cache on" >&2
for op in "${ops[@]:0:4}"; do run /dev/null "$embedded_token" "$op" 2 8 "$embedded"; done 2>/dev/null || true
for op in "${ops[@]}"; do for c in 1 16; do table[embedded,$op,$c]=$(measure embedded "$op" "$c"); done; done
echo "one Quiver on the SurrealDB server, read cache on" >&2
for op in "${ops[@]}"; do for c in 1 16; do table[remote,$op,$c]=$(measure remote "$op" "$c"); done; done
start_quiver remote-c "ws://127.0.0.1:$sport" "${remote[@]}" --read-cache-size 0; remote_c=$base remote_c_pid=$last_pid
echo "one Quiver on the SurrealDB server, read cache off" >&2
for op in "${ops[@]}"; do for c in 1 16; do table[remote_nocache,$op,$c]=$(measure remote_nocache "$op" "$c"); done; done
start_quiver remote-b "ws://127.0.0.1:$sport" "${remote[@]}"; remote_b=$base
echo "two Quivers on the SurrealDB server, 8 connections each" >&2
for op in "${ops[@]}"; do table[pair,$op,16]=$(measure pair "$op" 16); done
echo "reads on one Quiver while another registers versions" >&2
mixed_ops=(get_model get_alias)
for op in "${mixed_ops[@]}"; do
  table[mixed,$op,8]=$(measure mixed "$op" 8)
  table[mixed_nocache,$op,8]=$(measure mixed_nocache "$op" 8)
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

{
  echo "## Embedded, one and two Quiver processes on a SurrealDB server"
  echo
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'), quiver $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src app server Cargo.toml Cargo.lock || echo '+dirty'), $(nproc) cores (Quiver, SurrealDB and wrk share them), load $load_before before and $load_after after."
  echo "$models models x $versions versions; reads rotate over $rotate models. wrk ${duration} s per cell: concurrency 1 = -t1 -c1, 16 = -t2 -c16 (two processes: -c8 on each, req/s added, the worse p50/p99). Latencies in ms."
  echo "SurrealDB $("$surreal" version 2>/dev/null | grep -oE '[0-9]+\.[0-9]+\.[0-9]+' | head -1) on SurrealKV (disk), reached over ws:// on loopback as a database user."
  echo
  echo "- embedded: $pop_embedded"
  echo "- server: $pop_remote"
  echo
  echo "| operation | conc. | embedded req/s | p50 | p99 | embedded, no cache req/s | p50 | p99 | 1 process on server req/s | p50 | p99 | 1 process on server, no cache req/s | p50 | p99 | 2 processes req/s | p50 | p99 |"
  echo "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"
  for op in "${ops[@]}"; do for c in 1 16; do
    pair=${table[pair,$op,$c]:-"- | - | -"}
    echo "| ${label[$op]} | $c | ${table[embedded,$op,$c]} | ${table[nocache,$op,$c]} | ${table[remote,$op,$c]} | ${table[remote_nocache,$op,$c]} | $pair |"
  done; done
  echo
  echo "Reads on one process (8 connections) while another process registers versions (2 connections):"
  echo
  echo "| read | reader with cache req/s | p50 | p99 | writes/s meanwhile | reader without cache req/s | p50 | p99 | writes/s meanwhile |"
  echo "|---|--:|--:|--:|--:|--:|--:|--:|--:|"
  for op in "${mixed_ops[@]}"; do
    echo "| ${label[$op]} | ${table[mixed,$op,8]} | $(cat "$raw/mixed-$op-8.writes") | ${table[mixed_nocache,$op,8]} | $(cat "$raw/mixed_nocache-$op-8.writes") |"
  done
} | tee "$out"
echo "(written to $out; wrk outputs in $raw)" >&2
failures=$(grep -cE 'errors\)|\| 0 \| - \| -' "$out" || true)
if (( failures > 0 )); then echo "bench-cluster: $failures row(s) had errors or no responses" >&2; exit 1; fi
