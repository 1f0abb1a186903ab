-- kprod_bench.lua — the benchmark's kprod side flat out: the record pool
-- produced by a Lua script as fast as send takes it, printing the same
-- 'bench: ...' line as bench/baseline/baseline.c (see bench/common/bench_result.h).
-- The fixed-rate runs use bench/kprod_paced.lua (a scenario) instead.
--
-- usage: kprod run bench/kprod_bench.lua -- data=FILE topic=NAME count=N [prop=value]...
-- Arguments other than data, topic and count are producer properties (Kafka's
-- Java names), bootstrap.servers included.
local kprod = require "kprod"

local common = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "bench_common.lua")

local function fail(msg)
  io.stderr:write("kprod_bench: ", msg, "\n")
  os.exit(2)
end

local ok, opts, props = pcall(common.parse, { data = true, topic = true, count = true }, { topic = "bench" }, ...)
if not ok then fail(opts) end
if opts.count then
  opts.count = tonumber(opts.count)
  if not opts.count or opts.count <= 0 then fail("count must be a positive number") end
end
-- Values are slices of the pool held once (no copy at send), unless
-- KPROD_BENCH_VALUES=copy asks for strings copied into the batches.
local copy = os.getenv("KPROD_BENCH_VALUES") == "copy"
local loaded, keys, values, n = pcall(copy and common.load_pool or common.load_pool_slices, opts.data)
if not loaded then fail(keys) end
local topic = opts.topic
local p, err = kprod.producer(props)
if not p then fail(err) end

-- One record table, refilled for every send: send takes key and value into
-- the batch at once, so a hot loop need not allocate a table per record.
local rec = { topic = topic }
local sent_payload, send_errors, first_error = 0, 0, nil

local function send(j)
  rec.key, rec.value = keys[j], values[j]
  local ok, msg = p:send(rec)
  if ok then
    sent_payload = sent_payload + #keys[j] + #values[j]
  else
    send_errors = send_errors + 1
    first_error = first_error or msg
  end
end

-- Flat out: count records as fast as send takes them, then wait for all.
local count = math.floor(opts.count or n)
local start = kprod.now()
for i = 0, count - 1 do send(i % n + 1) end
p:flush()

local seconds = (kprod.now() - start) / 1000
local m = p:metrics()
local acked, failed = m.acked, m.failed + send_errors
print(("bench: records=%d acked=%d failed=%d bytes=%d seconds=%.6f"):format(
  count, acked, failed, math.floor(sent_payload * math.min(acked, count) / count), seconds))
io.stdout:flush()
if first_error then io.stderr:write("kprod_bench: ", send_errors, " sends failed, the first: ", first_error, "\n") end
p:close()
return (failed > 0 or acked ~= count) and 1 or 0
