-- load_stages.lua — ramp the rate up, hold, ramp down (k6-style stages), count
-- failures per worker in delivered(), and fail the run when p99 is too high.
-- Run: build/kprod run examples/load_stages.lua [-b host:9092] [--json out.json]
scenario = {
  topic = "load-stages",
  stages = {
    { duration = "1s", target = 1000 },   -- ramp from 0 to 1000 records/s
    { duration = "2s", target = 1000 },   -- hold
    { duration = "1s", target = 0 },      -- ramp down
  },
  workers = 2,
  size = 256,            -- records without a value get 256 random bytes
}

local P99_LIMIT_MS = 500
local failures = 0

function message(worker, seq)
  return { key = "device-" .. seq % 500 }   -- no value: --size random bytes
end

-- Runs on the worker that sent the record; md has latency_ms, partition, offset.
function delivered(worker, record, err, md)
  if err then failures = failures + 1 end
end

-- Once, with the whole result (what --json writes). A number is the exit status.
function done(summary)
  if summary.latency_ms.p99 > P99_LIMIT_MS then
    print(("p99 %.1f ms is over the %d ms limit"):format(summary.latency_ms.p99, P99_LIMIT_MS))
    return 1
  end
  return summary.records.failed == 0 and 0 or 1
end
