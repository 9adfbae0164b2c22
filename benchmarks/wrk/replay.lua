-- POST that cycles through 100 fixed keys ("replay-1" .. "replay-100") with the same body each time: after the
-- first pass (run.sh warms up with this script) every request is a replay of a completed key.
wrk.method = "POST"
wrk.body = '{"amount":100,"currency":"EUR"}'
wrk.headers["Content-Type"] = "application/json"

local counter = 0
function request()
  counter = counter % 100 + 1
  wrk.headers["Idempotency-Key"] = "replay-" .. counter
  return wrk.format()
end

-- One machine-readable line for run.sh: requests/s, p50 and p99 in ms, non-2xx responses, socket errors,
-- completed requests.
function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format("WRK_RESULT\t%.1f\t%.3f\t%.3f\t%d\t%d\t%d\n", summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, e.status, e.connect + e.read + e.write + e.timeout, summary.requests))
end
