-- kprod_bench.lua — the benchmark's kprod side: the record pool produced by a
-- Lua script, flat out or paced, printing the same 'bench: ...' line as
-- bench/baseline/baseline.c (see bench/common/bench_result.h).
--
-- usage: kprod run bench/kprod_bench.lua -- data=FILE topic=NAME count=N [prop=value]...
--        kprod run bench/kprod_bench.lua -- data=FILE topic=NAME rate=R seconds=S [prop=value]...
-- Arguments other than data, topic, count, rate and seconds are producer
-- properties (Kafka's Java names), bootstrap.servers included.
local kprod = require "kprod"

local OWN = { data = true, topic = true, count = true, rate = true, seconds = true }

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
  for _, k in ipairs { "count", "rate", "seconds" } do
    if opts[k] then
      opts[k] = tonumber(opts[k])
      if not opts[k] or opts[k] <= 0 then fail(k .. " must be a positive number") end
    end
  end
  if (opts.rate ~= nil) ~= (opts.seconds ~= nil) then fail("rate=R needs seconds=S") end
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

-- Latency histogram, bucketed exactly as bench/common/bench_hist.c: values
-- below 256 us exact, above that 128 buckets per power of two.
local BUCKETS, LN2 = 256 + 24 * 128, math.log(2)
local function bucket_of(us)
  us = math.floor(us)
  if us < 256 then return us < 0 and 0 or us end
  if us >= 2 ^ 32 then return BUCKETS - 1 end
  local top = math.floor(math.log(us) / LN2) -- the highest set bit (math.frexp would not compile)
  if 2 ^ top > us then top = top - 1 elseif 2 ^ (top + 1) <= us then top = top + 1 end
  local shift = top - 7
  return 256 + (top - 8) * 128 + math.floor(us / 2 ^ shift) - 128
end
local function bucket_high(b)
  if b < 256 then return b end
  local shift = math.floor((b - 256) / 128) + 1
  return (128 + (b - 256) % 128 + 1) * 2 ^ shift - 1
end
local function new_hist()
  local h = { total = 0, max = 0 }
  for b = 0, BUCKETS - 1 do h[b] = 0 end
  return h
end
local function hist_add(h, us)
  local b = bucket_of(us)
  h[b] = h[b] + 1
  h.total = h.total + 1
  if us > h.max then h.max = us end
end
local function hist_percentile(h, pct)
  if h.total == 0 then return 0 end
  local rank = math.min(math.max(math.floor(pct / 100 * h.total + 0.5), 1), h.total)
  local seen = 0
  for b = 0, BUCKETS - 1 do
    seen = seen + h[b]
    if seen >= rank then return math.min(bucket_high(b), math.floor(h.max)) end
  end
  return math.floor(h.max)
end

local opts, props = parse(...)
local keys, values = load_pool(opts.data)
local n = #keys
local topic = opts.topic
local p, err = kprod.producer(props)
if not p then fail(err) end

-- One record table, refilled for every send: send copies key and value into
-- the batch at once, so a hot loop need not allocate a table per record.
local rec = { topic = topic }
local sent_payload, send_errors, first_error = 0, 0, nil

local function send(j, on_delivery)
  rec.key, rec.value, rec.on_delivery = keys[j], values[j], on_delivery
  local ok, msg = p:send(rec)
  if ok then
    sent_payload = sent_payload + #keys[j] + #values[j]
  else
    send_errors = send_errors + 1
    first_error = first_error or msg
  end
end

local result = {}
local start

if not opts.rate then
  -- Flat out: count records as fast as send takes them, then wait for all.
  local count = math.floor(opts.count or n)
  start = kprod.now()
  for i = 0, count - 1 do send(i % n + 1) end
  p:flush()
  result.records = count
else
  -- Paced (the kprod side of the fixed-rate latency runs). Record i is due at
  -- start + i / rate; latency runs from that intended time to its delivery
  -- report, so a send that falls behind is charged instead of hidden
  -- (coordinated omission). Hook: when the Lua runtime's load scenarios
  -- (paced traffic, latency histograms in C) land, replace this block with
  -- them and keep printing the same fields.
  local parts, perr = p:partition_count(topic)
  if not parts then fail(perr) end
  for part = 0, parts - 1 do -- warm-up: connections, metadata, producer id
    rec.partition = part
    send(1)
  end
  p:flush()
  sent_payload = 0
  result.warm = p:metrics()

  -- One shared callback (a closure per record would stop LuaJIT compiling
  -- the loop): records go to the partition the default partitioner would
  -- pick (murmur2 of the key), and each partition's reports come back in send
  -- order (idempotence), so a FIFO of intended times per partition says
  -- which record a report is for.
  local partition_of = {}
  for j = 1, n do partition_of[j] = kprod.partition.murmur2(keys[j], parts) end
  local due_fifo = {}
  for part = 0, parts - 1 do due_fifo[part] = { head = 1, tail = 0 } end
  local hist = new_hist()
  local function on_delivery(e, md)
    local q = due_fifo[md.partition]
    local due = q[q.head]
    q[q.head], q.head = nil, q.head + 1
    if not e then hist_add(hist, (kprod.now() - due) * 1000) end
  end

  local rate, count = opts.rate, math.floor(opts.rate * opts.seconds + 0.5)
  local interval_ms = 1000 / rate
  start = kprod.now()
  local i = 0
  while i < count do
    local due = start + i * interval_ms
    local gap = due - kprod.now()
    if gap > 0 then
      if gap >= 2 then p:poll(math.floor(gap) - 1) else p:poll(0); kprod.sleep(gap) end
    else
      local j = i % n + 1
      local part = partition_of[j]
      local q = due_fifo[part]
      q.tail = q.tail + 1
      q[q.tail] = due
      rec.partition = part
      send(j, on_delivery)
      i = i + 1
      if i % 64 == 0 then p:poll(0) end
    end
  end
  result.achieved_rate = count / ((kprod.now() - start) / 1000)
  p:flush()
  result.records, result.rate, result.hist = count, rate, hist
end

local seconds = (kprod.now() - start) / 1000
local m = p:metrics()
local warm = result.warm or { acked = 0, failed = 0 }
local acked, failed = m.acked - warm.acked, m.failed - warm.failed + send_errors
local line = ("bench: records=%d acked=%d failed=%d bytes=%d seconds=%.6f"):format(
  result.records, acked, failed,
  result.records > 0 and math.floor(sent_payload * math.min(acked, result.records) / result.records) or 0,
  seconds)
if result.hist then
  local h = result.hist
  line = line .. (" rate=%.0f achieved_rate=%.0f latency_count=%d p50_us=%d p99_us=%d p999_us=%d max_us=%d"):format(
    result.rate, result.achieved_rate, h.total, hist_percentile(h, 50), hist_percentile(h, 99),
    hist_percentile(h, 99.9), math.floor(h.max))
end
print(line)
io.stdout:flush()
if first_error then io.stderr:write("kprod_bench: ", send_errors, " sends failed, the first: ", first_error, "\n") end
p:close()
return (failed > 0 or acked ~= result.records) and 1 or 0
