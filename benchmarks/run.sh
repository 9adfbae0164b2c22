#!/usr/bin/env bash
# Runs every benchmark of the idempotency library and writes the figures to benchmarks/results/<timestamp>/.
#
#   benchmarks/run.sh            # the full run, about 25 minutes on 2 cores (10M-row scale test included)
#   benchmarks/run.sh --quick    # seconds per figure instead of tens, and a small scale test: checks the wiring
#
# Needs: JDK 17+, PostgreSQL reachable at IDEMPOTENCY_BENCH_POSTGRES_URL (default
# jdbc:postgresql://127.0.0.1:5432/test?user=postgres, trust auth), psql and pgbench, and wrk for the HTTP part.
# Creates the schema idem_bench and drops it at the end; nothing else in the database is touched.
#
# Environment (all optional):
#   BENCH_THREADS      client threads for the store vs pgbench comparison   (default "1 8 32")
#   BENCH_ROUNDS       how often each store/pgbench pair is repeated        (default 2)
#   BENCH_SECONDS      measured seconds per store/pgbench figure           (default 10)
#   BENCH_SCALE_ROWS   table sizes for the scale test                       (default "0 1000000 10000000")
#   BENCH_HTTP_SECONDS measured seconds per HTTP figure                     (default 15)
#   BENCH_SKIP         space-separated parts to skip: store memory engine roundtrips http profile scale
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
BENCH="$ROOT/benchmarks"

QUICK=0
if [ "${1:-}" = "--quick" ]; then
  QUICK=1
fi

THREADS=${BENCH_THREADS:-"1 8 32"}
ROUNDS=${BENCH_ROUNDS:-2}
SECS=${BENCH_SECONDS:-10}
SCALE_ROWS=${BENCH_SCALE_ROWS:-"0 1000000 10000000"}
HTTP_SECS=${BENCH_HTTP_SECONDS:-15}
SKIP=" ${BENCH_SKIP:-} "
JMH_WARMUP=(-wi 1 -w 5)
if [ "$QUICK" = 1 ]; then
  ROUNDS=1; SECS=2; HTTP_SECS=2; JMH_WARMUP=(-wi 1 -w 1)
  SCALE_ROWS=${BENCH_SCALE_ROWS:-"0 20000"}
fi

PG_URL=${IDEMPOTENCY_BENCH_POSTGRES_URL:-jdbc:postgresql://127.0.0.1:5432/test?user=postgres}
export IDEMPOTENCY_BENCH_POSTGRES_URL=$PG_URL
# pgbench and psql take a libpq URI: the same host, port, database and user as the JDBC URL.
PG_URI=$(printf '%s' "$PG_URL" | sed -E 's#^jdbc:postgresql://([^/?]+)/([^?]+)\??(.*)$#postgresql://\1/\2?\3#')

STAMP=$(date +%Y%m%d-%H%M%S)
OUT="$BENCH/results/$STAMP"
mkdir -p "$OUT"
TSV="$OUT/results.tsv"
printf 'section\tcase\tthreads\tvalue\tunit\tload_before\tload_after\tround\tcommand\n' > "$TSV"

log() { printf '==> %s\n' "$*" | tee -a "$OUT/run.log"; }
skipped() { [[ "$SKIP" == *" $1 "* ]]; }
load1() { cut -d' ' -f1 /proc/loadavg; }

log "building: ./mvnw -B -q -Pbenchmarks -pl benchmarks -am package -DskipTests"
./mvnw -B -q -Pbenchmarks -pl benchmarks -am package -DskipTests
CP="$BENCH/target/classes:$(cat "$BENCH/target/classpath.txt")"
java_main() { java -cp "$CP" "$@"; }

{
  echo "date: $(date -Is)"
  echo "nproc: $(nproc)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
  echo "memory:"; free -h
  echo "java: $(java -version 2>&1 | head -2 | tr '\n' ' ')"
  echo "postgresql: $(psql "$PG_URI" -Atc 'select version()')"
  echo "postgresql settings: $(psql "$PG_URI" -Atc "select string_agg(name || '=' || setting, ', ' order by name) from pg_settings where name in ('shared_buffers','synchronous_commit','fsync','max_connections','wal_level','shared_preload_libraries','effective_cache_size','work_mem')")"
  echo "pgbench: $(pgbench --version)"
  echo "wrk: $( (wrk --version 2>&1 || true) | head -1)"
  echo "disk: $(df -h "$(psql "$PG_URI" -Atc 'show data_directory' 2>/dev/null || echo /)" 2>/dev/null | tail -1)"
  echo "git: $(git -C "$ROOT" rev-parse --short HEAD) on $(git -C "$ROOT" rev-parse --abbrev-ref HEAD)"
  echo "uptime: $(uptime)"
} > "$OUT/machine.txt"
cat "$OUT/machine.txt"

log "checking that the pgbench scripts send the dialect's statements"
java_main dev.idempotency.benchmarks.PgbenchScripts check "$BENCH/pgbench"
read -ra PGBENCH_DEFINES < <(java_main dev.idempotency.benchmarks.PgbenchScripts defines)

log "creating schema idem_bench"
java_main dev.idempotency.benchmarks.BenchSetup create
cleanup() { java_main dev.idempotency.benchmarks.BenchSetup drop >/dev/null 2>&1 || true; stop_app; }
APP_PID=
stop_app() {
  if [ -n "$APP_PID" ]; then
    kill "$APP_PID" 2>/dev/null || true
    wait "$APP_PID" 2>/dev/null || true
    APP_PID=
  fi
}
trap cleanup EXIT

# record SECTION CASE THREADS VALUE UNIT LOAD_BEFORE ROUND COMMAND
record() {
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" "$6" "$(load1)" "$7" "$8" >> "$TSV"
}

# jmh SECTION ROUND THREADS PATTERN [extra JMH options...]: runs JMH and records every score of its CSV.
jmh() {
  local section=$1 round=$2 threads=$3 pattern=$4; shift 4
  local csv="$OUT/jmh-$section-r$round-t$threads-$(echo "$pattern" | tr -c 'a-zA-Z0-9' _).csv"
  local before; before=$(load1)
  local cmd=(java -cp "\$CP" org.openjdk.jmh.Main "$pattern" -t "$threads" "$@" -rf csv -rff "$csv")
  log "load $before; ${cmd[*]}"
  local time_file="$csv.time"
  /usr/bin/time -f '%e %U %S' -o "$time_file" \
    java -cp "$CP" org.openjdk.jmh.Main "$pattern" -t "$threads" "$@" -rf csv -rff "$csv" \
    >> "$OUT/jmh-$section.log" 2>&1
  if [ "$section" = store ]; then
    # CPU the client used, warm-up and JVM start included: on 2 shared cores it is taken from the database.
    local short=${pattern#*Benchmark.}
    record "$section" "${short%\$}:client-cores" "$threads" "$(cores "$time_file")" "cores" "$before" "$round" "/usr/bin/time ${cmd[*]}"
  fi
  tail -n +2 "$csv" | tr -d '"\r' | while IFS=, read -r name mode thr samples score error unit params; do
    local case_name=${name#*Benchmark.}
    [ -n "$params" ] && case_name="$case_name[$params]"
    record "$section" "$case_name" "$thr" "$score" "$unit" "$before" "$round" "${cmd[*]}"
  done
}

# pgbench_run SECTION CASE ROUND CLIENTS SCRIPT
pgbench_run() {
  local section=$1 name=$2 round=$3 clients=$4 script=$5
  local before; before=$(load1)
  local jobs=$(( clients < 2 ? 1 : 2 ))
  local cmd=(pgbench -n -M prepared -c "$clients" -j "$jobs" -T "$SECS" "${PGBENCH_DEFINES[@]}" -f "benchmarks/pgbench/$script" "$PG_URI")
  log "load $before; ${cmd[*]}"
  local log_file="$OUT/pgbench-$name-r$round-c$clients.log"
  /usr/bin/time -f '%e %U %S' -o "$log_file.time" "${cmd[@]}" > "$log_file" 2>&1
  record "$section" "$name:client-cores" "$clients" "$(cores "$log_file.time")" "cores" "$before" "$round" "/usr/bin/time ${cmd[*]}"
  if grep -q 'number of failed transactions: [1-9]' "$log_file"; then
    log "pgbench reported failed transactions, see $log_file"
  fi
  local tps; tps=$(sed -nE 's/^tps = ([0-9.]+) .*/\1/p' "$log_file" | tail -1)
  record "$section" "$name" "$clients" "$tps" "tps" "$before" "$round" "${cmd[*]}"
}

# cores TIME_FILE: CPU seconds (user + system) per elapsed second, from /usr/bin/time -f '%e %U %S'.
cores() { awk '{ if ($1 > 0) printf "%.2f", ($2 + $3) / $1; else print "0" }' "$1"; }

reset_table() { java_main dev.idempotency.benchmarks.BenchSetup reset; }

# 1. The PostgreSQL store against pgbench on the same statements, side by side for each thread count.
if ! skipped store; then
  for round in $(seq 1 "$ROUNDS"); do
    for t in $THREADS; do
      for pair in "claimAndComplete claim-complete.sql" "replayClaim replay.sql" "find find.sql"; do
        read -r bench script <<< "$pair"
        reset_table
        jmh store "$round" "$t" "PostgresStoreBenchmark.$bench\$" -f 1 -prof gc "${JMH_WARMUP[@]}" -i 2 -r "$(( SECS / 2 > 0 ? SECS / 2 : 1 ))s"
        reset_table
        pgbench_run store "pgbench-${script%.sql}" "$round" "$t" "$script"
      done
    done
  done
  # Not the library's statement: the claim with ON CONFLICT DO NOTHING, written when the library's claim was
  # DO UPDATE ... WHERE (which locks the row it does not update) to size that cost. The library's replay.sql now
  # does the same; the experiment stays for comparison with older results.
  for t in $THREADS; do
    reset_table
    pgbench_run experiment "pgbench-replay-do-nothing" 1 "$t" "experiments/replay-do-nothing.sql"
  done
fi

# 2. The in-memory store and the engine, for reference.
if ! skipped memory; then
  for t in 1 2 8; do
    if [ "$QUICK" = 1 ]; then
      jmh memory 1 "$t" "InMemoryStoreBenchmark" -f 1 -wi 1 -w 1 -i 1 -r 1
    else
      jmh memory 1 "$t" "InMemoryStoreBenchmark"
    fi
  done
fi
if ! skipped engine; then
  for t in 1 2; do
    if [ "$QUICK" = 1 ]; then
      jmh engine 1 "$t" "EngineBenchmark" -f 1 -wi 1 -i 1
    else
      jmh engine 1 "$t" "EngineBenchmark"
    fi
  done
fi

# 3. Round trips per request, counted by a JDBC proxy.
if ! skipped roundtrips; then
  log "load $(load1); java -cp \$CP dev.idempotency.benchmarks.RoundTrips"
  java_main dev.idempotency.benchmarks.RoundTrips | tee -a "$OUT/roundtrips.log" | grep '^RESULT' \
    | while IFS=$'\t' read -r _ section name threads value unit; do
        record "$section" "$name" "$threads" "$value" "$unit" "$(load1)" 1 "java -cp \$CP dev.idempotency.benchmarks.RoundTrips"
      done
fi

# 4. The HTTP path: a Spring Boot application in its own JVM, loaded by wrk; then a JFR profile of it.
if ! skipped http || ! skipped profile; then
  if [ -f "$BENCH/target/classes/dev/idempotency/benchmarks/http/BenchmarkApplication.class" ] && command -v wrk >/dev/null; then
    source "$BENCH/http.sh"
  else
    log "skipping HTTP: the benchmark application is not built (needs the Spring Boot starter) or wrk is missing"
  fi
fi

# 5. Scale: claim latency by table size, and purge throughput.
if ! skipped scale; then
  avail_kb=$(df -k --output=avail "$(psql "$PG_URI" -Atc 'show data_directory' 2>/dev/null || echo /)" 2>/dev/null | tail -1 || echo 0)
  rows_list=""
  for rows in $SCALE_ROWS; do
    # About 400 bytes per row with both indexes; keep 5 GB free beside it.
    if [ "$rows" -gt 0 ] && [ $(( rows * 400 / 1024 + 5 * 1024 * 1024 )) -gt "$avail_kb" ]; then
      log "not enough disk for $rows rows (${avail_kb} kB free): skipping that size"
      continue
    fi
    rows_list="$rows_list $rows"
  done
  for rows in $rows_list; do
    before=$(load1)
    log "load $before; java -cp \$CP dev.idempotency.benchmarks.ScaleBenchmark $rows"
    java_main dev.idempotency.benchmarks.ScaleBenchmark "$rows" 2>> "$OUT/scale.log" | tee -a "$OUT/scale.log" | grep '^RESULT' \
      | while IFS=$'\t' read -r _ section name threads value unit; do
          record "$section" "$name" "$threads" "$value" "$unit" "$before" 1 "java -cp \$CP dev.idempotency.benchmarks.ScaleBenchmark $rows"
        done
  done
fi

log "writing the summary"
java_main dev.idempotency.benchmarks.Summary "$TSV" "$OUT/machine.txt" > "$OUT/summary.md"
if compgen -G "$OUT/profile-*.md" > /dev/null; then
  { printf '\n# Profiles (JFR, outside the measured rounds)\n\n'; cat "$OUT"/profile-*.md; } >> "$OUT/summary.md"
fi
cat "$OUT/summary.md"
log "results in $OUT"
