# Shared by the wrk benchmarks (bench-mlflow.sh, bench-cluster.sh); sourced, not run.

# Writes $work/lua/<file>.lua: each request names the next model, `m` (prod.ml_team.model_<i>),
# over `count` models; each wrk thread starts at its own offset (plus BENCH_OFFSET, so two wrk
# runs at once do not walk in step). BENCH_TOKEN, when set, is sent as a bearer token.
lua() { # file method count path-expression [body-expression] (Lua expressions over m)
  cat >"$work/lua/$1.lua" <<LUA
local count, i, threads = $3, 0, 0
function setup(thread) thread:set("tid", threads); threads = threads + 1 end
function init(args) i = ((tid or 0) * 7919 + (tonumber(os.getenv("BENCH_OFFSET") or "0"))) % count end
wrk.method = "$2"
wrk.headers["Content-Type"] = "application/json"
local token = os.getenv("BENCH_TOKEN") or ""
if token ~= "" then wrk.headers["Authorization"] = "Bearer " .. token end
request = function()
  i = (i + 1) % count
  local m = "prod.ml_team.model_" .. i
  return wrk.format(nil, $4, nil, ${5:-nil})
end
LUA
}

# The MLflow REST calls both benchmarks make: reads rotate over the first $rotate models, the
# write over all $models; get version reads $alias_version (the version Champion points to).
mlflow_requests() {
  api=/api/2.0/mlflow
  lua get_model GET "$rotate" "'$api/registered-models/get?name=' .. m"
  lua get_version GET "$rotate" "'$api/model-versions/get?name=' .. m .. '&version=$alias_version'"
  lua get_alias GET "$rotate" "'$api/registered-models/alias?name=' .. m .. '&alias=Champion'"
  lua search_versions GET "$rotate" "'$api/model-versions/search?filter=name%3D%27' .. m .. '%27'"
  lua search_models GET 1 "'$api/registered-models/search?max_results=100'"
  lua create_version POST "$models" "'$api/model-versions/create'" \
    "'{\"name\": \"' .. m .. '\", \"source\": \"s3://bucket/bench/' .. m .. '\"}'"
}

# wrk output → "req/s p50_ms p99_ms responses non2xx socket_errors".
parse() {
  awk '
    function ms(v) {
      if (v ~ /us$/) return substr(v, 1, length(v) - 2) / 1000
      if (v ~ /ms$/) return substr(v, 1, length(v) - 2) + 0
      if (v ~ /m$/)  return substr(v, 1, length(v) - 1) * 60000
      if (v ~ /s$/)  return substr(v, 1, length(v) - 1) * 1000
      return v + 0
    }
    $1 == "50%" { p50 = ms($2) }
    $1 == "99%" { p99 = ms($2) }
    / requests in / { n = $1 }
    /^Requests\/sec:/ { rps = $2 }
    /Non-2xx or 3xx responses:/ { bad += $NF }
    /Socket errors:/ { for (i = 3; i <= NF; i++) { gsub(",", "", $i); if ($i ~ /^[0-9]+$/) sock += $i } }
    END { printf "%s %s %s %d %d %d\n", rps + 0, p50 + 0, p99 + 0, n, bad, sock }' "$1"
}
