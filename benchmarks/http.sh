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
  java -Xms1g -Xmx1g -cp "$CP" dev.idempotency.benchmarks.http.BenchmarkApplication \
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

# Bytes allocated so far by the application's live threads (BenchmarkApplication's GET /bench/allocated), or -1.
allocated() {
  curl -sf "http://127.0.0.1:$HTTP_PORT/bench/allocated" || echo -1
}

# CPU time the application has used so far (user + system), in clock ticks.
app_cpu_ticks() {
  awk '{ print $14 + $15 }' "/proc/$APP_PID/stat"
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
  local allocated_before; allocated_before=$(allocated)
  local cpu_before; cpu_before=$(app_cpu_ticks)
  "${cmd[@]}" > "$log_file" 2>&1
  local cpu_after; cpu_after=$(app_cpu_ticks)
  local allocated_after; allocated_after=$(allocated)
  [ "$mode" = record ] || return 0
  local line; line=$(grep '^WRK_RESULT' "$log_file" | tail -1)
  local rps p50 p99 non2xx errors requests
  IFS=$'\t' read -r _ rps p50 p99 non2xx errors requests <<< "$line"
  local section="http-$variant" shown="${cmd[*]}"
  record "$section" "$config" "$WRK_CONNECTIONS" "$rps" "req/s" "$before" "$round" "$shown"
  record "$section" "$config-p50" "$WRK_CONNECTIONS" "$p50" "ms" "$before" "$round" "$shown"
  record "$section" "$config-p99" "$WRK_CONNECTIONS" "$p99" "ms" "$before" "$round" "$shown"
  record "$section" "$config-non2xx" "$WRK_CONNECTIONS" "$non2xx" "responses" "$before" "$round" "$shown"
  if [ "$allocated_before" -ge 0 ] && [ "$allocated_after" -ge 0 ] && [ "${requests:-0}" -gt 0 ]; then
    record "$section" "$config-alloc" "$WRK_CONNECTIONS" "$(( (allocated_after - allocated_before) / requests ))" \
      "bytes/request" "$before" "$round" "GET /bench/allocated before and after: $shown"
  fi
  if [ "${requests:-0}" -gt 0 ]; then
    # CPU time is less sensitive to the machine's load than throughput: other processes take turns, not cycles.
    record "$section" "$config-cpu" "$WRK_CONNECTIONS" \
      "$(awk -v t=$((cpu_after - cpu_before)) -v hz="$(getconf CLK_TCK)" -v n="$requests" 'BEGIN { printf "%.1f", t * 1e6 / hz / n }')" \
      "cpu-us/request" "$before" "$round" "/proc/<application>/stat utime + stime before and after: $shown"
  fi
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

# profile_variant VARIANT ARGS...: one JFR recording (settings=profile) per configuration, outside the measured
# rounds because the sampling costs throughput, and its top frames as Markdown (JfrTop).
profile_variant() {
  local variant=$1; shift
  start_app "$variant-profile" "$@" || { stop_app; return 0; }
  local c config path script
  for c in "plain /plain plain.lua" "new /idempotent new-keys.lua" "replay /idempotent replay.lua"; do
    read -r config path script <<< "$c"
    wrk_run "$variant" "$config" 0 "$path" "$script" warmup
    local jfr="$OUT/profile-$variant-$config.jfr"
    jcmd "$APP_PID" JFR.start name="$config" settings=profile filename="$jfr" > /dev/null
    wrk -t 1 -c "$WRK_CONNECTIONS" -d "${HTTP_SECS}s" -s "benchmarks/wrk/$script" "http://127.0.0.1:$HTTP_PORT$path" \
      -- "$STAMP-$variant-$config-profile" > "$OUT/wrk-$variant-$config-profile.log" 2>&1
    jcmd "$APP_PID" JFR.stop name="$config" > /dev/null
    log "profile of $config: $OUT/profile-$variant-$config.md"
    { echo "## $variant store, $config (wrk $path $script, ${HTTP_SECS} s, load $(load1))"; echo
      java_main dev.idempotency.benchmarks.http.JfrTop "$jfr" 12; } > "$OUT/profile-$variant-$config.md"
  done
  stop_app
}

# The in-memory store holds every new key for the TTL: room for the whole run, so no request meets a full store.
MEMORY_STORE=(--idempotency.store.type=memory --idempotency.memory.max-records=2000000)
if ! skipped http; then
  http_variant memory "${MEMORY_STORE[@]}"
  reset_table
  http_variant jdbc --idempotency.store.type=jdbc --bench.jdbc=true \
    "--spring.datasource.url=$PG_URL" "--spring.datasource.hikari.maximum-pool-size=$WRK_CONNECTIONS" \
    "--spring.datasource.hikari.minimum-idle=$WRK_CONNECTIONS"
  # The same application with the starter switched off: what the filter costs endpoints it does not protect.
  http_variant off --idempotency.enabled=false
fi
if ! skipped profile; then
  profile_variant memory "${MEMORY_STORE[@]}"
fi
