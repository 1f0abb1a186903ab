-- kprod/producer.lua — kprod.producer{}: properties and hooks, send with
-- transforms and partitioners, delivery callbacks, poll, flush, close, metrics.
--
-- Threading: the producer's sender runs on its own C thread; nothing here is
-- ever called from it. Records sent with on_delivery get a callback id; their
-- reports are queued in C (runtime/lua/kp_lua_producer.c) and run here, on
-- the script's thread, during send (every 256 sends), poll, flush and close.
-- Records without on_delivery cost no Lua work after send.
local ffi = require "ffi"
local core = require "kprod.core"
local hooks = require "kprod.hooks"
local retry = require "kprod.retry"
local blob = require "kprod.blob"

local C, errbuf, ERRLEN = core.C, core.errbuf, core.errlen
local type, tostring, tonumber, pairs, next = type, tostring, tonumber, pairs, next
local hook_call, first_line = hooks.call, hooks.first_line
local put_header = core.put_header
local is_slice = blob.is_slice

local PARTITION_ANY = -1
local ERR = {
  INVALID_ARG = -109, PARTITIONER = -110, TRANSFORM = -111, DESTROY = -106, TIMED_OUT = -101,
}

-- partitioner = NAME: the properties it stands for. "murmur2" is the Java
-- client's default (murmur2 for keys, sticky for keyless records); "sticky"
-- ignores keys altogether (Java's partitioner.ignore.keys=true).
local PARTITIONERS = {
  murmur2 = { ["kprod.partitioner"] = "default" },
  default = { ["kprod.partitioner"] = "default" },
  sticky = { ["partitioner.ignore.keys"] = "true" },
  round_robin = { ["kprod.partitioner"] = "round_robin" },
  random = { ["kprod.partitioner"] = "random" },
  consistent = { ["kprod.partitioner"] = "consistent" },
  consistent_random = { ["kprod.partitioner"] = "consistent_random" },
  fnv1a = { ["kprod.partitioner"] = "fnv1a" },
  fnv1a_random = { ["kprod.partitioner"] = "fnv1a_random" },
  murmur2_random = { ["kprod.partitioner"] = "murmur2_random" },
}

local HOOK_FIELDS = { partitioner = true, transform = true, retry = true }

local M = {}
local defaults = {}   -- kprod.defaults{}: properties for producers that do not set them
local open = {}       -- producers not closed yet, for kprod.close_all()
-- Raised by send, poll and flush once `kprod run` got SIGINT/SIGTERM.
local INTERRUPTED = "kprod: interrupted"

local Producer = {}
Producer.__index = Producer
M.Producer = Producer

-- ---- configuration ----

local function property_string(name, v)
  local t = type(v)
  if t == "string" then return v end
  if t == "boolean" then return v and "true" or "false" end
  if t == "number" then
    if v % 1 == 0 and v >= -2^53 and v <= 2^53 then return ("%d"):format(v) end
    return tostring(v)
  end
  error(("producer: '%s' must be a string, number or boolean, got %s"):format(name, t), 0)
end

-- Sets every property of props on conf; raises naming the property at fault.
local function apply_properties(conf, props, skip)
  for name, v in pairs(props) do
    if type(name) ~= "string" then
      error(("producer: property names must be strings, got %s"):format(type(name)), 0)
    end
    if not (skip and skip[name]) then
      if C.kp_conf_set(conf, name, property_string(name, v), errbuf, ERRLEN) ~= 0 then
        error("producer: " .. core.errmsg(), 0)
      end
    end
  end
end

function M.defaults(props)
  if type(props) ~= "table" then error("defaults: expected a table of properties", 2) end
  local copy = {}
  for k, v in pairs(props) do copy[k] = v end
  defaults = copy
end

-- The retry policy as it crosses to the sender thread (see kprod/retry.lua);
-- raises for a policy that cannot.
local function serialize_retry(fn)
  if type(fn) ~= "function" then
    error("producer: 'retry' must be a function(ctx) returning \"retry\", \"fail\" or a delay in ms", 3)
  end
  local ok, bc, prelude = pcall(retry.serialize, fn)
  if not ok then error("producer: 'retry': " .. tostring(bc), 3) end
  return { bc, prelude }
end

-- kprod.producer{props and hooks}: see README. Raises for bad arguments;
-- returns nil, message, code when the producer cannot start.
function M.new(opts)
  if type(opts) ~= "table" then error("producer: expected a table of properties and hooks", 2) end
  local part = opts.partitioner
  local part_fn
  if type(part) == "function" then
    part_fn = part
  elseif part ~= nil and not PARTITIONERS[part] then
    local names = {}
    for k in pairs(PARTITIONERS) do names[#names + 1] = k end
    table.sort(names)
    error(("producer: 'partitioner' must be a function or one of %s, got %s"):format(
      table.concat(names, ", "), tostring(part)), 2)
  end
  local transforms = hooks.transform_list(opts.transform)
  local policy = opts.retry ~= nil and serialize_retry(opts.retry)
  local conf = C.kp_conf_new()
  if conf == nil then return nil, "out of memory", -116 end
  local ok, err = pcall(function()
    apply_properties(conf, defaults, opts)
    if type(part) == "string" then apply_properties(conf, PARTITIONERS[part]) end
    apply_properties(conf, opts, HOOK_FIELDS)
  end)
  if not ok then
    C.kp_conf_free(conf)
    error(err, 2)
  end
  local lp = C.kp_lua_producer_new(conf, errbuf, ERRLEN) -- owns conf from here
  if lp == nil then return nil, "producer: " .. core.errmsg(), ERR.INVALID_ARG end
  lp = ffi.gc(lp, C.kp_lua_producer_free)
  local self = setmetatable({
    lp = lp,
    partition_fn = part_fn,
    transforms = transforms,
    max_block_ms = tonumber(opts["max.block.ms"] or defaults["max.block.ms"]) or 60000,
    headers = ffi.new("kp_header[?]", 16), headers_cap = 16,
    callbacks = {}, callback_topics = {}, free_ids = {}, nfree = 0, next_id = 0,
    dropped = 0, fanned_out = 0, rejected = 0,
  }, Producer)
  if policy and C.kp_lua_producer_set_retry(lp, policy[1], #policy[1], policy[2], #policy[2],
      errbuf, ERRLEN) ~= 0 then
    local msg = "producer: 'retry': " .. core.errmsg()
    C.kp_lua_producer_close(lp, 0)
    error(msg, 2)
  end
  open[self] = true
  return self
end

-- ---- delivery reports ----

local function take_id(self, cb, topic)
  local id
  if self.nfree > 0 then
    id = self.free_ids[self.nfree]
    self.nfree = self.nfree - 1
  else
    id = self.next_id + 1
    self.next_id = id
  end
  self.callbacks[id] = cb
  self.callback_topics[id] = topic
  return id
end

local function release_id(self, id)
  self.callbacks[id] = false
  self.callback_topics[id] = false
  local n = self.nfree + 1
  self.nfree = n
  self.free_ids[n] = id
end

-- The err an on_delivery callback sees: "NAME: message", as documented.
local function named_error(code, msg)
  local name = core.err_name(code)
  if not msg or msg == "" or msg == name then return name end
  if msg:sub(1, #name + 1) == name .. ":" then return msg end
  return name .. ": " .. msg
end

local function run_callback(self, cb, err, md)
  local ok, msg = hook_call(cb, err, md)
  if not ok then hooks.report(self.lp, "on_delivery callback", msg) end
end

-- Runs the callbacks of every queued report, in the order the producer
-- completed them. A callback may send or poll again (see kp_lua_producer).
local function drain(self)
  local lp = self.lp
  while lp.head < lp.count do
    local r = lp.reports[lp.head]
    local id, code = r.id, r.err
    local err
    if code ~= 0 then
      err = named_error(code, r.errstr_len > 0 and ffi.string(lp.errs + r.errstr_off, r.errstr_len) or nil)
    end
    local md = {
      topic = self.callback_topics[id], partition = r.partition,
      offset = tonumber(r.offset), timestamp = tonumber(r.timestamp),
      code = code, error = code ~= 0 and core.err_name(code) or nil,
    }
    lp.head = lp.head + 1
    local cb = self.callbacks[id]
    release_id(self, id)
    run_callback(self, cb, err, md)
  end
end

-- A record that never reached the producer: its callback hears it at once,
-- send returns nil, message, code.
local function fail_record(self, cb, topic, partition, code, msg)
  self.rejected = self.rejected + 1
  if cb then
    run_callback(self, cb, named_error(code, msg), {
      topic = topic, partition = partition or -1, offset = -1, timestamp = -1,
      code = code, error = core.err_name(code),
    })
  end
  return nil, msg, code
end

-- ---- send ----

-- A bad field: raised at the caller of send (level 4: bad_field < send_record
-- < send < caller), or, for a record a transform produced, that record fails.
local function bad_field(self, rec, cb, in_transform, msg)
  if not in_transform then error("send: " .. msg, 4) end
  local topic = type(rec.topic) == "string" and rec.topic or nil
  hooks.report(self.lp, "transform", "transform produced a bad record: " .. msg)
  return fail_record(self, cb, topic, nil, ERR.TRANSFORM, "transform produced a bad record: " .. msg)
end

local function fill_headers(self, h)
  local n = 0
  local list = h[1] ~= nil
  for k, v in (list and ipairs or pairs)(h) do
    if list then
      if type(v) ~= "table" then return nil, "'headers' list entries must be {key, value} pairs" end
      k, v = v[1], v[2]
    end
    if type(k) ~= "string" then return nil, "'headers' keys must be strings" end
    if v ~= nil and type(v) ~= "string" then
      return nil, ("'headers' value of '%s' must be a string"):format(k)
    end
    self.headers, self.headers_cap = put_header(self.headers, self.headers_cap, n, k, v)
    n = n + 1
  end
  return n
end

local function choose_partition(self, key, topic, cb)
  local n = C.kp_lua_producer_partition_count(self.lp, topic, self.max_block_ms)
  if n < 0 then
    return nil, ("topic '%s': %s"):format(topic, core.err_name(n)), n
  end
  local ok, p = hook_call(self.partition_fn, key, n, topic)
  if not ok then
    hooks.report(self.lp, "partitioner", p)
    return nil, "partitioner failed: " .. first_line(p), ERR.PARTITIONER
  end
  if type(p) ~= "number" or p % 1 ~= 0 or p < 0 or p >= n then
    local msg = ("partitioner returned %s for topic '%s': expected an integer 0..%d"):format(
      type(p) == "number" and tostring(p) or type(p) .. " " .. tostring(p), topic, n - 1)
    hooks.report(self.lp, "partitioner", msg)
    return nil, msg, ERR.PARTITIONER
  end
  return p
end

-- Length of a key or value: -1 for nil (null), false when not a string.
local function bytes_len(v)
  if v == nil then return -1 end
  return type(v) == "string" and #v
end

-- Sends one record as it is (transforms already applied). cb_default is the
-- on_delivery of the record a transform started from.
local function send_record(self, rec, cb_default, in_transform)
  local topic, key, value = rec.topic, rec.key, rec.value
  local cb = rec.on_delivery
  if cb == nil then cb = cb_default end
  if type(topic) ~= "string" or topic == "" then
    local a, b, c = bad_field(self, rec, cb, in_transform, "'topic' must be a non-empty string")
    return a, b, c
  end
  local klen, vlen = bytes_len(key), bytes_len(value)
  local slice -- a kprod.blob slice: referenced, not copied
  if vlen == false and is_slice(value) then slice, vlen = value, value.len end
  if not (klen and vlen) then
    local a, b, c = bad_field(self, rec, cb, in_transform, klen and
      "'value' must be a string, a kprod.blob slice or nil" or "'key' must be a string or nil")
    return a, b, c
  end
  if cb ~= nil and type(cb) ~= "function" then
    local a, b, c = bad_field(self, rec, cb_default, in_transform, "'on_delivery' must be a function or nil")
    return a, b, c
  end
  local ts = rec.timestamp
  if ts == nil then
    ts = 0
  elseif type(ts) ~= "number" or ts < 0 then
    local a, b, c = bad_field(self, rec, cb, in_transform, "'timestamp' must be milliseconds since the epoch or nil")
    return a, b, c
  end
  local nh, h = 0, rec.headers
  if h ~= nil then
    local msg
    if type(h) ~= "table" then
      nh, msg = nil, "'headers' must be a table"
    else
      nh, msg = fill_headers(self, h)
    end
    if not nh then
      local a, b, c = bad_field(self, rec, cb, in_transform, msg)
      return a, b, c
    end
  end
  local partition = rec.partition
  if partition == nil then
    partition = PARTITION_ANY
    if self.partition_fn then
      local msg, code
      partition, msg, code = choose_partition(self, key, topic, cb)
      if not partition then return fail_record(self, cb, topic, nil, code, msg) end
    end
  elseif type(partition) ~= "number" or partition < 0 or partition % 1 ~= 0 then
    local a, b, c = bad_field(self, rec, cb, in_transform, "'partition' must be a partition number or nil")
    return a, b, c
  end
  local id = cb and take_id(self, cb, topic) or 0
  local lp = self.lp
  local rc
  if slice then
    rc = C.kp_lua_producer_send_slice(lp, topic, partition, key, klen, slice, self.headers, nh, ts,
      id, errbuf, ERRLEN)
  else
    rc = C.kp_lua_producer_send(lp, topic, partition, key, klen, value, vlen, self.headers, nh,
      ts, id, errbuf, ERRLEN)
  end
  if rc ~= 0 then
    if id > 0 then release_id(self, id) end
    return fail_record(self, cb, topic, partition >= 0 and partition or nil, rc, core.errmsg())
  end
  if lp.head < lp.count then drain(self) end
  return true
end

local function is_record_list(t)
  return t[1] ~= nil or next(t) == nil
end

-- Applies transforms[i..] to rec, then sends what comes out.
local function transform_and_send(self, rec, i, cb)
  local t = self.transforms[i]
  if not t then return send_record(self, rec, cb, true) end
  local ok, out = hook_call(t, rec)
  if not ok then
    hooks.report(self.lp, "transform", out)
    return fail_record(self, cb, rec.topic, nil, ERR.TRANSFORM,
      ("transform %d failed: %s"):format(i, first_line(out)))
  end
  if out == nil then
    self.dropped = self.dropped + 1
    return true
  end
  if type(out) ~= "table" then
    local msg = ("transform %d returned a %s: expected a record, a list of records or nil"):format(i, type(out))
    hooks.report(self.lp, "transform", msg)
    return fail_record(self, cb, rec.topic, nil, ERR.TRANSFORM, msg)
  end
  if not is_record_list(out) then return transform_and_send(self, out, i + 1, cb) end
  if #out == 0 then
    self.dropped = self.dropped + 1
    return true
  end
  self.fanned_out = self.fanned_out + #out - 1
  local res, msg, code = true, nil, nil
  for j = 1, #out do
    local r = out[j]
    local a, b, c
    if type(r) ~= "table" then
      a, b, c = fail_record(self, cb, rec.topic, nil, ERR.TRANSFORM,
        ("transform %d returned a list whose entry %d is a %s, not a record"):format(i, j, type(r)))
      hooks.report(self.lp, "transform", b)
    else
      a, b, c = transform_and_send(self, r, i + 1, r.on_delivery or cb)
    end
    if not a and res then res, msg, code = nil, b, c end
  end
  return res, msg, code
end

-- p:send{topic, key, value, headers, partition, timestamp, on_delivery}:
-- true when accepted (all of a fan-out), or nil, message, code.
function Producer:send(rec)
  if type(rec) ~= "table" then error("send: expected a record table, got " .. type(rec), 2) end
  if C.kp_lua_interrupted() ~= 0 then error(INTERRUPTED, 0) end
  if self.transforms then
    local cb = rec.on_delivery
    if cb ~= nil and type(cb) ~= "function" then error("send: 'on_delivery' must be a function or nil", 2) end
    return transform_and_send(self, rec, 1, cb)
  end
  local a, b, c = send_record(self, rec, nil, false)
  return a, b, c
end

-- ---- poll, flush, close, metrics ----

local function check_ms(what, ms, default)
  if ms == nil then return default end
  if type(ms) ~= "number" then error(("%s: timeout must be a number of ms, got %s"):format(what, type(ms)), 3) end
  return ms
end

-- Runs due delivery callbacks, waiting up to ms for the first report.
-- Returns how many records were reported.
function Producer:poll(ms)
  ms = check_ms("poll", ms, 0)
  local n = C.kp_lua_producer_poll(self.lp, ms)
  drain(self)
  if C.kp_lua_interrupted() ~= 0 then error(INTERRUPTED, 0) end
  return n
end

-- Blocks until every record sent so far completed (callbacks included).
-- Returns true, or nil, message, code when timeout_ms passed first.
function Producer:flush(timeout_ms)
  timeout_ms = check_ms("flush", timeout_ms, -1)
  if self.closed then return true end
  local rc = C.kp_lua_producer_flush(self.lp, timeout_ms)
  drain(self)
  if C.kp_lua_interrupted() ~= 0 then error(INTERRUPTED, 0) end
  if rc ~= 0 then
    return nil, ("flush: %d records still outstanding after %d ms"):format(
      self:metrics().outstanding, timeout_ms), rc
  end
  return true
end

local metric_count = C.kp_lua_metric_count()
local metric_names = {}
for i = 0, metric_count - 1 do metric_names[i] = ffi.string(C.kp_lua_metric_name(i)) end
local metric_values = ffi.new("double[?]", metric_count)

-- A table of counters: sent, acked, failed, retried, batches, bytes, inflight,
-- buffer_bytes, ... plus dropped, fanned_out, rejected (see README).
function Producer:metrics()
  if self.final_metrics then
    local copy = {}
    for k, v in pairs(self.final_metrics) do copy[k] = v end
    return copy
  end
  C.kp_lua_producer_metrics(self.lp, metric_values)
  local m = {}
  for i = 0, metric_count - 1 do m[metric_names[i]] = metric_values[i] end
  m.failed = m.failed + self.rejected
  m.rejected, m.dropped, m.fanned_out = self.rejected, self.dropped, self.fanned_out
  return m
end

-- Delivers what was sent (up to timeout_ms, default no limit; 0 = at once,
-- failing the rest), runs the last callbacks and frees the producer.
-- Returns true, or nil, message, code after a forced close.
function Producer:close(timeout_ms)
  timeout_ms = check_ms("close", timeout_ms, -1)
  if self.closed then return true end
  -- The C producer is gone after close: take the counters just before, when
  -- everything that could be delivered was (what is left fails with _DESTROY).
  local flushed = timeout_ms ~= 0 and C.kp_lua_producer_flush(self.lp, timeout_ms) == 0
  drain(self)
  local m = self:metrics()
  local rc = C.kp_lua_producer_close(self.lp, flushed and -1 or 0)
  self.closed = true
  open[self] = nil
  drain(self)
  local undelivered = m.outstanding
  m.failed = m.failed + undelivered
  m.outstanding, m.inflight, m.inflight_requests, m.buffer_bytes = 0, 0, 0, 0
  self.final_metrics = m
  C.kp_lua_producer_end(self.lp)
  if rc ~= 0 or not flushed then
    return nil, ("close: %d records undelivered after %d ms failed with _DESTROY"):format(
      undelivered, timeout_ms), ERR.DESTROY
  end
  return true
end

-- Partition count of topic (waiting up to max.block.ms for metadata), or nil, message, code.
function Producer:partition_count(topic)
  if type(topic) ~= "string" then error("partition_count: 'topic' must be a string", 2) end
  local n = C.kp_lua_producer_partition_count(self.lp, topic, self.max_block_ms)
  if n < 0 then return nil, ("topic '%s': %s"):format(topic, core.err_name(n)), n end
  return n
end

function Producer:__tostring()
  return ("kprod.producer (%s)"):format(self.closed and "closed" or "open")
end

-- Closes every producer still open (`kprod run` calls it when the script
-- ends). After an interrupt, waits for deliveries only until a second signal
-- (or grace_ms), then forces the close. Returns the records acked and failed
-- by those producers.
function M.close_all(grace_ms)
  local list = {}
  for p in pairs(open) do list[#list + 1] = p end
  local acked, failed = 0, 0
  local deadline = grace_ms and C.kp_lua_now_ms() + grace_ms
  for _, p in ipairs(list) do
    if deadline then
      while C.kp_lua_interrupted() < 2 and C.kp_lua_now_ms() < deadline and
            C.kp_lua_producer_flush(p.lp, 100) ~= 0 do
        drain(p)
      end
      local ok, msg = p:close(C.kp_lua_interrupted() < 2 and C.kp_lua_now_ms() < deadline and -1 or 0)
      if not ok then io.stderr:write("kprod run: ", msg, "\n") end
    else
      p:close()
    end
    acked, failed = acked + p.final_metrics.acked, failed + p.final_metrics.failed
  end
  return acked, failed
end

return M
