-- POST with a small JSON body and no Idempotency-Key, for the endpoint without @Idempotent.
wrk.method = "POST"
wrk.body = '{"amount":100,"currency":"EUR"}'
wrk.headers["Content-Type"] = "application/json"

-- One machine-readable line for run.sh: requests/s, p50 and p99 in ms, non-2xx responses, socket errors,
-- completed requests.
function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format("WRK_RESULT\t%.1f\t%.3f\t%.3f\t%d\t%d\t%d\n", summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, e.status, e.connect + e.read + e.write + e.timeout, summary.requests))
end
