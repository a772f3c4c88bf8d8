#!/usr/bin/env bash
# Load benchmark: Quiver (release build, embedded SurrealKV on disk) against a reference
# `mlflow server` (SQLite backend, its default 4 uvicorn workers), both on loopback, through the
# same MLflow REST calls. Populates each with the same registry (scripts/bench_mlflow_populate.py),
# then runs wrk on reads and a write at concurrency 1 and 16, and prints a Markdown table of
# req/s, p50 and p99 per server with the ratio Quiver/MLflow (also written to $BENCH_OUT).
#
#   BENCH_MODELS     models to create (default 2000)          BENCH_VERSIONS  versions each (5)
#   BENCH_DURATION   seconds per wrk run (10)                 BENCH_ROTATE    names reads rotate over (300)
#   BENCH_OUT        where the table goes (/tmp/bench-mlflow.md)
#   BENCH_POPULATE_DEADLINE  seconds allowed to populate each server (1200)
#   BENCH_SKIP_BUILD=1       use the existing release binary as is
#
# Needs wrk and the MLflow venv (scripts/mlflow-venv.sh). Everything it starts is killed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
source scripts/bench-wrk.sh   # lua (request scripts), parse (wrk output)

models=${BENCH_MODELS:-2000}
versions=${BENCH_VERSIONS:-5}
duration=${BENCH_DURATION:-10}
rotate=${BENCH_ROTATE:-300}
out=${BENCH_OUT:-/tmp/bench-mlflow.md}
deadline=${BENCH_POPULATE_DEADLINE:-1200}
(( rotate > models )) && rotate=$models
alias_version=$(( versions < 3 ? versions : 3 ))
command -v wrk >/dev/null || { echo "bench-mlflow: wrk is not installed" >&2; exit 1; }

if [[ "${BENCH_SKIP_BUILD:-}" != 1 ]]; then
  claim_target_dir
  cargo build --release -p quiver -p app -p quiver-server --features quiver/server,app/ssr
fi
quiver="$CARGO_TARGET_DIR/release/quiver"
venv=$(scripts/mlflow-venv.sh)
py="$venv/bin/python"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
work=$(mktemp -d /tmp/bench-mlflow.XXXXXX)
mkdir -p "$work/quiver" "$work/mlflow" "$work/lua" "$work/wrk"
qpid="" mpid=""
stop() {
  # Both run in their own process group (setsid), so MLflow's uvicorn workers go with it.
  for pid in $qpid $mpid; do kill -TERM -- "-$pid" 2>/dev/null || true; done
  for pid in $qpid $mpid; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL -- "-$pid" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap stop EXIT
trap 'exit 130' INT TERM

# --- servers -----------------------------------------------------------------------------------
qport=$(free_port)
password="bench-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
QUIVER_ADMIN_PASSWORD=$password RUST_LOG=warn setsid "$quiver" serve --addr "127.0.0.1:$qport" \
  --db "surrealkv://$work/quiver/quiver.db" --data-dir "$work/quiver" >"$work/quiver.log" 2>&1 &
qpid=$!
mport=$(free_port)
setsid "$venv/bin/mlflow" server --host 127.0.0.1 --port "$mport" \
  --backend-store-uri "sqlite:///$work/mlflow/mlflow.db" --artifacts-destination "$work/mlflow/artifacts" \
  >"$work/mlflow.log" 2>&1 &
mpid=$!

wait_for() { # name pid url seconds
  local i
  for i in $(seq 1 $(( $4 * 5 ))); do
    curl -fsS -o /dev/null --max-time 2 "$3" 2>/dev/null && return 0
    kill -0 "$2" 2>/dev/null || { tail -30 "$work/$1.log" >&2; echo "bench-mlflow: $1 exited early" >&2; exit 1; }
    sleep 0.2
  done
  tail -30 "$work/$1.log" >&2; echo "bench-mlflow: $1 did not answer within $4 s" >&2; exit 1
}
wait_for quiver "$qpid" "http://127.0.0.1:$qport/login" 60
wait_for mlflow "$mpid" "http://127.0.0.1:$mport/health" 180
token=$(curl -fsS -u "admin:$password" -H 'content-type: application/json' -d '{"name": "bench", "expires_in_days": 1}' \
  "http://127.0.0.1:$qport/api/quiver/v1/tokens" | python3 -c 'import json, sys; print(json.load(sys.stdin)["secret"])')
qurl="http://127.0.0.1:$qport" murl="http://127.0.0.1:$mport"

# --- populate ----------------------------------------------------------------------------------
populate() { # label url [token]
  timeout $(( deadline + 120 )) "$py" scripts/bench_mlflow_populate.py "$2" --label "$1" --token "${3:-}" \
    --models "$models" --versions "$versions" --threads 8 --deadline "$deadline" \
    || { tail -30 "$work/$1.log" >&2; exit 1; }
}
echo "populating both servers: $models models x $versions versions, alias Champion -> $alias_version" >&2
qpop=$(populate quiver "$qurl" "$token"); echo "$qpop" >&2
mpop=$(populate mlflow "$murl"); echo "$mpop" >&2

# --- wrk scripts -------------------------------------------------------------------------------
# Each request names the next model, `m` (prod.ml_team.model_<i>): reads rotate over the first
# $rotate models, the write over all of them, and each wrk thread starts at its own offset.
mlflow_requests

ops=(get_model get_version get_alias search_versions search_models create_version)
declare -A label=(
  [get_model]="get model" [get_version]="get version" [get_alias]="get version by alias"
  [search_versions]="search versions by name" [search_models]="search models (page of 100)"
  [create_version]="create version (write)")

# wrk output → "req/s p50_ms p99_ms responses non2xx socket_errors".

raw="${out%.md}.wrk"   # every wrk output, kept for reading
rm -rf "$raw"; mkdir -p "$raw"
run() { # server url token op threads conns → $raw/<server>-<op>-c<conns>.txt
  local f="$raw/$1-$4-c$6.txt"
  BENCH_TOKEN="$3" timeout $(( duration + 30 )) wrk -t"$5" -c"$6" -d"${duration}s" --timeout 5s --latency \
    -s "$work/lua/$4.lua" "$2" >"$f" 2>&1 || { cat "$f" >&2; echo "bench-mlflow: wrk failed" >&2; exit 1; }
}

# One server's cells: req/s, p50, p99 ("-" without responses) and what went wrong, if anything.
cells() { # rps p50 p99 responses non2xx socket
  awk -v r="$1" -v a="$2" -v b="$3" -v n="$4" -v bad="$5" -v sock="$6" 'BEGIN {
    e = ""
    if (bad > 0) e = e bad " non-2xx "
    if (sock > 0) e = e sock " socket errors/timeouts "
    if (n == 0) { e = e "no response within the run "; printf "0 | - | - | %s", e; exit }
    printf "%.0f | %.2f | %.2f | %s", r, a, b, e
  }'
}

# --- measure -----------------------------------------------------------------------------------
# A short unrecorded pass over the reads first: MLflow's workers import lazily, so their first
# requests take seconds, and both servers warm their caches.
echo "warming up" >&2
for op in "${ops[@]:0:5}"; do
  BENCH_TOKEN="$token" timeout 30 wrk -t2 -c8 -d2s -s "$work/lua/$op.lua" "$qurl" >/dev/null 2>&1 || true
  BENCH_TOKEN="" timeout 30 wrk -t2 -c8 -d2s -s "$work/lua/$op.lua" "$murl" >/dev/null 2>&1 || true
done
# Any non-2xx answer means a wrong request (auth, name, body): a failure. So are Quiver's socket
# errors and timeouts (> 5 s) and a run without any response. MLflow's timeouts are its own
# behaviour under load (SQLite locks): reported in the table, not a failure.
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
rows=() failures=0
for op in "${ops[@]}"; do
  for conc in 1 16; do
    if (( conc == 1 )); then t=1; else t=2; fi
    echo "wrk: ${label[$op]}, concurrency $conc" >&2
    run quiver "$qurl" "$token" "$op" "$t" "$conc"
    run mlflow "$murl" "" "$op" "$t" "$conc"
    read -r qrps qp50 qp99 qn qbad qsock < <(parse "$raw/quiver-$op-c$conc.txt")
    read -r mrps mp50 mp99 mn mbad msock < <(parse "$raw/mlflow-$op-c$conc.txt")
    if (( qbad + qsock + mbad > 0 || qn == 0 )); then
      failures=$(( failures + 1 ))
      echo "bench-mlflow: ${label[$op]} c$conc failed, see $raw/*-$op-c$conc.txt" >&2
    fi
    ratio=$(awk -v q="$qrps" -v m="$mrps" -v mn="$mn" 'BEGIN {
      if (m <= 0 || mn == 0) print "-"; else if (q / m < 10) printf "%.1fx", q / m; else printf "%.0fx", q / m }')
    q=$(cells "$qrps" "$qp50" "$qp99" "$qn" "$qbad" "$qsock")
    m=$(cells "$mrps" "$mp50" "$mp99" "$mn" "$mbad" "$msock")
    qe=${q##* | } me=${m##* | } notes=""
    [[ -n "$qe" ]] && notes="Quiver: ${qe% }"
    [[ -n "$me" ]] && notes="${notes:+$notes; }MLflow: ${me% }"
    rows+=("| ${label[$op]} | $conc | ${q% | *} | ${m% | *} | $ratio | $notes |")
  done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

{
  echo "## Quiver vs MLflow $("$venv/bin/mlflow" --version 2>/dev/null | awk '{print $NF}')"
  echo
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'), quiver $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src app server Cargo.toml Cargo.lock || echo '+dirty'), $(nproc) cores, load $load_before before and $load_after after."
  echo "$models models x $versions versions (alias Champion -> $alias_version); reads rotate over $rotate models, the write over all."
  echo "wrk for ${duration} s per row: concurrency 1 = -t1 -c1, 16 = -t2 -c16. Latencies in ms."
  echo
  echo "- $qpop"
  echo "- $mpop"
  echo
  echo "| operation | conc. | Quiver req/s | p50 | p99 | MLflow req/s | p50 | p99 | Quiver/MLflow | errors |"
  echo "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|"
  printf '%s\n' "${rows[@]}"
} | tee "$out"
echo "(written to $out; wrk outputs in $raw)" >&2
if (( failures > 0 )); then
  echo "bench-mlflow: $failures row(s) failed: non-2xx answers, Quiver errors or timeouts, or no response" >&2
  exit 1
fi
