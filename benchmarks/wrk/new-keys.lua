-- POST with a key no request used before: "<run id>-<wrk thread>-<counter>". Pass a run id after "--", so
-- repeated runs against one store never reuse a key.
wrk.method = "POST"
wrk.body = '{"amount":100,"currency":"EUR"}'
wrk.headers["Content-Type"] = "application/json"

local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("thread_id", threads)
end

local prefix
local counter = 0
function init(args)
  prefix = (args[1] or "run") .. "-" .. tostring(thread_id or 1) .. "-"
end

function request()
  counter = counter + 1
  wrk.headers["Idempotency-Key"] = prefix .. counter
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
