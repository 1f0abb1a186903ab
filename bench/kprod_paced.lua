-- kprod_paced.lua — the benchmark's kprod side at a fixed rate: a kprod
-- scenario (the open-model pacer and C-side latency histograms of `kprod run`)
-- sending the record pool (values by reference), printing the same 'bench: ...' line as
-- bench/baseline/baseline.c --rate (see bench/common/bench_result.h).
--
-- usage: kprod run bench/kprod_paced.lua -- data=FILE topic=NAME rate=R seconds=S
--                                           [warmup=W] [prop=value]...
-- Latency runs from each record's intended send time to its acknowledgement
-- (coordinated omission corrected), as the baseline measures it. The first W
-- seconds at the rate warm up and are not measured (the baseline gets the
-- same with --warmup-seconds W). Other arguments are producer properties.
local common = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "bench_common.lua")

local function fail(msg)
  io.stderr:write("kprod_paced: ", msg, "\n")
  os.exit(2)
end

local ok, opts, props = pcall(common.parse, { data = true, topic = true, rate = true, seconds = true, warmup = true },
  { topic = "bench", warmup = "0" }, ...)
if not ok then fail(opts) end
for _, k in ipairs { "rate", "seconds", "warmup" } do
  local n = tonumber(opts[k])
  if not n or n < 0 or (n == 0 and k ~= "warmup") then fail(k .. " must be a positive number") end
  opts[k] = n
end

scenario = {
  topic = opts.topic,
  rate = opts.rate,
  duration = opts.seconds .. "s",
  warmup = opts.warmup .. "s",
  workers = 1, -- one sending thread, as the baseline has
  producer = props,
}

-- The pool, loaded in the worker's own Lua state only: values are slices of
-- the pool held once, as bench/kprod_bench.lua sends them (strings with
-- KPROD_BENCH_VALUES=copy).
local keys, values, n
function init()
  local copy = os.getenv("KPROD_BENCH_VALUES") == "copy"
  keys, values, n = (copy and common.load_pool or common.load_pool_slices)(opts.data)
end

-- One record table, refilled: the runtime copies the key (and a string value)
-- at the send.
-- seq counts from the first warm-up record, as the baseline's index does.
local rec = {}
function message(_, seq)
  local j = seq % n + 1
  rec.key, rec.value = keys[j], values[j]
  return rec
end

-- The 'bench:' line from the whole result; quiet otherwise.
function done(r)
  local l = r.latency_ms
  local us = function(ms) return math.floor(ms * 1000 + 0.5) end
  print(("bench: records=%d acked=%d failed=%d bytes=%d seconds=%.6f rate=%.0f achieved_rate=%.0f "
    .. "latency_count=%d p50_us=%d p99_us=%d p999_us=%d max_us=%d"):format(
    r.records.sent, r.records.acked, r.records.failed, r.bytes, r.duration_s, opts.rate,
    r.throughput.sent_per_sec, l.count, us(l.p50), us(l.p99), us(l.p999), us(l.max)))
  io.stdout:flush()
  return (r.records.failed > 0 or r.records.acked ~= r.records.sent) and 1 or 0
end
