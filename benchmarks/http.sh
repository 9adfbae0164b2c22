# The HTTP part of run.sh (sourced by it; uses its variables and functions).
#
# Starts BenchmarkApplication (Spring Boot, Tomcat on 127.0.0.1:18080) in its own JVM, once per store, and loads it
# with wrk from a second process: POST /plain (no @Idempotent), POST /idempotent with a new key per request, and
# POST /idempotent replaying 100 completed keys. The configurations alternate within each round.

HTTP_PORT=18080
HTTP_ROUNDS=${BENCH_HTTP_ROUNDS:-2}
WRK_CONNECTIONS=${BENCH_WRK_CONNECTIONS:-16}
WRK_WARMUP=5
if [ "$QUICK" = 1 ]; then
  HTTP_ROUNDS=1; WRK_WARMUP=1
fi

start_app() {
  local variant=$1; shift
  log "starting BenchmarkApplication ($variant): $*"
  java -Xms512m -Xmx512m -cp "$CP" dev.idempotency.benchmarks.http.BenchmarkApplication \
    --server.port="$HTTP_PORT" "$@" > "$OUT/app-$variant.log" 2>&1 &
  APP_PID=$!
  local i
  for ((i = 0; i < 120; i++)); do
    if curl -sf -o /dev/null -X POST -H 'Content-Type: application/json' -d '{}' "http://127.0.0.1:$HTTP_PORT/plain"; then
      return 0
    fi
    sleep 0.5
  done
  log "BenchmarkApplication did not start; see $OUT/app-$variant.log"
  return 1
}

# wrk_run VARIANT CONFIG ROUND PATH SCRIPT [record]
wrk_run() {
  local variant=$1 config=$2 round=$3 path=$4 script=$5 mode=${6:-record}
  local seconds=$HTTP_SECS
  [ "$mode" = warmup ] && seconds=$WRK_WARMUP
  local before; before=$(load1)
  local cmd=(wrk -t 1 -c "$WRK_CONNECTIONS" -d "${seconds}s" --latency -s "benchmarks/wrk/$script" "http://127.0.0.1:$HTTP_PORT$path" -- "$STAMP-$variant-$config-$round-$mode")
  local log_file="$OUT/wrk-$variant-$config-r$round-$mode.log"
  [ "$mode" = record ] && log "load $before; ${cmd[*]}"
  "${cmd[@]}" > "$log_file" 2>&1
  [ "$mode" = record ] || return 0
  local line; line=$(grep '^WRK_RESULT' "$log_file" | tail -1)
  local rps p50 p99 non2xx errors
  IFS=$'\t' read -r _ rps p50 p99 non2xx errors <<< "$line"
  local section="http-$variant" shown="${cmd[*]}"
  record "$section" "$config" "$WRK_CONNECTIONS" "$rps" "req/s" "$before" "$round" "$shown"
  record "$section" "$config-p50" "$WRK_CONNECTIONS" "$p50" "ms" "$before" "$round" "$shown"
  record "$section" "$config-p99" "$WRK_CONNECTIONS" "$p99" "ms" "$before" "$round" "$shown"
  record "$section" "$config-non2xx" "$WRK_CONNECTIONS" "$non2xx" "responses" "$before" "$round" "$shown"
  if [ "${errors:-0}" != 0 ]; then
    log "wrk reported $errors socket errors, see $log_file"
  fi
}

http_variant() {
  local variant=$1; shift
  start_app "$variant" "$@" || { stop_app; return 0; }
  local configs=("plain /plain plain.lua" "new /idempotent new-keys.lua" "replay /idempotent replay.lua")
  if [ "$variant" = off ]; then
    configs=("plain /plain plain.lua")
  fi
  local c config path script round
  for c in "${configs[@]}"; do
    read -r config path script <<< "$c"
    wrk_run "$variant" "$config" 0 "$path" "$script" warmup
  done
  for round in $(seq 1 "$HTTP_ROUNDS"); do
    for c in "${configs[@]}"; do
      read -r config path script <<< "$c"
      wrk_run "$variant" "$config" "$round" "$path" "$script"
    done
  done
  if [ "$variant" = jdbc ]; then
    log "counting round trips per HTTP request: java -cp \$CP dev.idempotency.benchmarks.http.HttpRoundTrips"
    java_main dev.idempotency.benchmarks.http.HttpRoundTrips "http://127.0.0.1:$HTTP_PORT" | tee -a "$OUT/roundtrips.log" \
      | grep '^RESULT' | while IFS=$'\t' read -r _ section name threads value unit; do
          record "$section" "$name" "$threads" "$value" "$unit" "$(load1)" 1 "java -cp \$CP dev.idempotency.benchmarks.http.HttpRoundTrips http://127.0.0.1:$HTTP_PORT"
        done
  fi
  stop_app
}

http_variant memory --idempotency.store.type=memory
reset_table
http_variant jdbc --idempotency.store.type=jdbc --bench.jdbc=true \
  "--spring.datasource.url=$PG_URL" "--spring.datasource.hikari.maximum-pool-size=$WRK_CONNECTIONS" \
  "--spring.datasource.hikari.minimum-idle=$WRK_CONNECTIONS"
# The same application with the starter switched off: what the filter costs endpoints it does not protect.
http_variant off --idempotency.enabled=false
