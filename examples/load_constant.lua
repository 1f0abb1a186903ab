-- load_constant.lua — a load test at a constant rate (wrk2-style): zipf-skewed
-- user keys, JSON values, latency measured from each record's intended send
-- time so broker stalls are not hidden. Progress every second, summary at the end.
-- Run: build/kprod run examples/load_constant.lua [-b host:9092] [--rate 5000 --duration 30s --json out.json]
local kprod = require "kprod"

scenario = {
  topic = "load-constant",
  rate = 2000,          -- records/s for the whole test (all workers, all instances)
  duration = "3s",      -- measured time, after the warmup
  warmup = "1s",        -- sent but not measured: connections, metadata, JIT
  workers = 2,          -- threads, each with its own Lua state running this file
  producer = { ["linger.ms"] = 5, ["compression.type"] = "lz4", acks = "all" },
}

local users, body

-- Once per worker, in its own Lua state: generators seeded per worker.
function init(worker)
  users = kprod.keys.zipf { n = 10000, s = 1.1, prefix = "user-", seed = worker.index + 1 }
  body = kprod.values.template('{"user":"{key}","seq":{seq},"amount":{rand:1000}}', { seed = worker.index + 1 })
end

-- One record per call, at its scheduled time. seq numbers the records of the
-- whole scenario (unique across workers and --instance machines).
function message(worker, seq)
  local key = users()
  return { key = key, value = body(key) }
end
