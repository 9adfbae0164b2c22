#!/usr/bin/env bash
# The Redis store against redis-benchmark running the very same Lua scripts by EVALSHA, at the same client count.
#
#   benchmarks/redis.sh            # 10 s per figure, 1 and 8 clients
#   benchmarks/redis.sh --quick    # 3 s per figure
#
# It starts a private redis-server (no persistence) on a port of its own, so the shared server's data and load stay
# out of the figures, and stops it at the end. Figures, with the load average before and after each, go to
# benchmarks/results/redis-<timestamp>/results.tsv. The machine may be shared: read the load next to each ratio.
#
# What is compared:
#   claim+complete  store: a claim of a fresh key, then its completion (two EVALSHAs), per second.
#                   redis-benchmark: claim.lua on fresh random keys, and complete.lua on keys prepared in progress;
#                   a pair's rate is 1 / (1/claims + 1/completions).
#   replay          store: a claim of one of 1000 completed keys (one EVALSHA), per second.
#                   redis-benchmark: claim.lua on one of 1000 completed keys.
# Bodies are 256 bytes on both sides. redis-benchmark opens one connection per client; the store's threads share one
# connection, as an application's do.
#
# Needs: JDK 17+, redis-server and redis-benchmark on the PATH.
# Environment: BENCH_REDIS_CLIENTS (default "1 8"), BENCH_SECONDS (default 10), BENCH_REDIS_PORT (default 6390).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
BENCH="$ROOT/benchmarks"
SCRIPTS="$ROOT/idempotency-redis-store/src/main/resources/dev/idempotency/redis"

CLIENTS=${BENCH_REDIS_CLIENTS:-"1 8"}
SECS=${BENCH_SECONDS:-10}
if [ "${1:-}" = "--quick" ]; then
  SECS=3
fi
PORT=${BENCH_REDIS_PORT:-6390}
STAMP=$(date +%Y%m%d-%H%M%S)
OUT="$BENCH/results/redis-$STAMP"
mkdir -p "$OUT"
TSV="$OUT/results.tsv"
printf 'case\tclients\tstore_per_s\tredis_benchmark_per_s\tratio\tload_before\tload_after\n' > "$TSV"

log() { printf '==> %s\n' "$*" | tee -a "$OUT/run.log"; }
load1() { cut -d' ' -f1 /proc/loadavg; }
cli() { redis-cli -p "$PORT" "$@"; }

log "building: ./mvnw -B -q -Pbenchmarks -pl benchmarks -am package -DskipTests"
./mvnw -B -q -Pbenchmarks -pl benchmarks -am package -DskipTests
CP="$BENCH/target/classes:$(cat "$BENCH/target/classpath.txt")"

log "starting a private redis-server on 127.0.0.1:$PORT"
redis-server --port "$PORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
  --dir "$OUT" --logfile "$OUT/redis.log"
trap 'redis-cli -p "$PORT" shutdown nosave >/dev/null 2>&1 || true' EXIT
for _ in $(seq 1 50); do
  [ "$(cli ping 2>/dev/null)" = "PONG" ] && break
  sleep 0.1
done
log "$(redis-server --version)"

CLAIM=$(cli script load "$(cat "$SCRIPTS/claim.lua")")
COMPLETE=$(cli script load "$(cat "$SCRIPTS/complete.lua")")
FIXTURES=$(cli script load "$(cat "$BENCH/redis/fixtures.lua")")
FINGERPRINT=$(printf 'bench' | sha256sum | cut -d' ' -f1)
BODY=$(head -c 256 /dev/zero | tr '\0' 'x')

# redis_benchmark N KEYSPACE COMMAND...: requests per second of COMMAND, N requests over KEYSPACE random keys.
redis_benchmark() {
  local clients=$1 requests=$2 keyspace=$3; shift 3
  redis-benchmark -p "$PORT" -c "$clients" -n "$requests" -r "$keyspace" --csv "$@" \
    | tail -n 1 | cut -d, -f2 | tr -d '"'
}

for clients in $CLIENTS; do
  # Enough requests for about SECS seconds at the rate the store reached, at least 20000.
  before=$(load1)
  pairs=$(java -cp "$CP" dev.idempotency.benchmarks.RedisStoreThroughput "redis://127.0.0.1:$PORT" pairs "$clients" "$SECS" | cut -d' ' -f3)
  requests=$(( ${pairs%.*} * SECS > 20000 ? ${pairs%.*} * SECS : 20000 ))
  # Completions need keys in progress: ten times as many as completions, so repeats (which take the cheap
  # not-owned path) stay near 5%.
  cli flushall >/dev/null
  cli evalsha "$FIXTURES" 0 'bench:' $(( requests * 10 )) P "$FINGERPRINT" tok "" >/dev/null
  claims=$(redis_benchmark "$clients" "$requests" 1000000000 evalsha "$CLAIM" 1 'fresh:{__rand_int__}' "$FINGERPRINT" tok 30000 600000)
  completions=$(redis_benchmark "$clients" "$requests" $(( requests * 10 )) evalsha "$COMPLETE" 1 'bench:{__rand_int__}' tok 600000 201 '' "$BODY")
  after=$(load1)
  pair_rate=$(awk -v a="$claims" -v b="$completions" 'BEGIN { printf "%.0f", 1 / (1 / a + 1 / b) }')
  ratio=$(awk -v s="$pairs" -v r="$pair_rate" 'BEGIN { printf "%.2f", s / r }')
  printf 'claim+complete\t%s\t%s\t%s\t%s\t%s\t%s\n' "$clients" "$pairs" "$pair_rate" "$ratio" "$before" "$after" >> "$TSV"
  log "claim+complete, $clients clients: store $pairs/s, redis-benchmark $pair_rate/s (claims $claims/s, completions $completions/s): ${ratio}x, load $before -> $after"

  before=$(load1)
  replays=$(java -cp "$CP" dev.idempotency.benchmarks.RedisStoreThroughput "redis://127.0.0.1:$PORT" replays "$clients" "$SECS" | cut -d' ' -f3)
  requests=$(( ${replays%.*} * SECS > 20000 ? ${replays%.*} * SECS : 20000 ))
  cli evalsha "$FIXTURES" 0 'replay:' 1000 C "$FINGERPRINT" tok "$BODY" >/dev/null
  replay_rate=$(redis_benchmark "$clients" "$requests" 1000 evalsha "$CLAIM" 1 'replay:{__rand_int__}' "$FINGERPRINT" tok2 30000 600000)
  after=$(load1)
  ratio=$(awk -v s="$replays" -v r="$replay_rate" 'BEGIN { printf "%.2f", s / r }')
  printf 'replay\t%s\t%s\t%s\t%s\t%s\t%s\n' "$clients" "$replays" "$replay_rate" "$ratio" "$before" "$after" >> "$TSV"
  log "replay, $clients clients: store $replays/s, redis-benchmark $replay_rate/s: ${ratio}x, load $before -> $after"
done

log "results: $TSV"
column -t -s $'\t' "$TSV" | tee -a "$OUT/run.log"
