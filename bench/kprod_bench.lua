-- kprod_bench.lua — the benchmark's kprod side flat out: the record pool
-- produced by a Lua script as fast as send takes it, printing the same
-- 'bench: ...' line as bench/baseline/baseline.c (see bench/common/bench_result.h).
-- The fixed-rate runs use bench/kprod_paced.lua (a scenario) instead.
--
-- usage: kprod run bench/kprod_bench.lua -- data=FILE topic=NAME count=N [prop=value]...
-- Arguments other than data, topic and count are producer properties (Kafka's
-- Java names), bootstrap.servers included.
local kprod = require "kprod"

local OWN = { data = true, topic = true, count = true }

local function fail(msg)
  io.stderr:write("kprod_bench: ", msg, "\n")
  os.exit(2)
end

local function parse(...)
  local opts, props = { topic = "bench" }, {}
  for i = 1, select("#", ...) do
    local a = select(i, ...)
    local k, v = a:match("^([^=]+)=(.*)$")
    if not k then fail(("expected name=value, got '%s'"):format(a)) end
    if OWN[k] then opts[k] = v else props[k] = v end
  end
  if not opts.data then fail("data=FILE is required") end
  if opts.count then
    opts.count = tonumber(opts.count)
    if not opts.count or opts.count <= 0 then fail("count must be a positive number") end
  end
  return opts, props
end

-- The KEY<TAB>VALUE lines of the pool file, as two arrays of strings.
local function load_pool(path)
  local keys, values = {}, {}
  local f, err = io.open(path, "rb")
  if not f then fail(err) end
  for line in f:lines() do
    local tab = line:find("\t", 1, true)
    if not tab then fail(("%s:%d: expected KEY<TAB>VALUE"):format(path, #keys + 1)) end
    keys[#keys + 1], values[#values + 1] = line:sub(1, tab - 1), line:sub(tab + 1)
  end
  f:close()
  if #keys == 0 then fail(path .. ": no records") end
  return keys, values
end

local opts, props = parse(...)
-- Reading lines leaves a garbage string per record; a full collection at
-- every step of the load keeps it from doubling the pool's peak memory
-- (the baseline loads its pool without garbage). Default pacing after.
local pause = collectgarbage("setpause", 100)
local keys, values = load_pool(opts.data)
collectgarbage("setpause", pause)
local n = #keys
local topic = opts.topic
local p, err = kprod.producer(props)
if not p then fail(err) end

-- One record table, refilled for every send: send copies key and value into
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
