-- kprod/scenario_worker.lua — the Lua side of one `kprod run` scenario worker
-- (runtime/cli_scenario_worker.c): calls message() for a burst of records
-- that are due and hands each answer to C through the FFI. A burst is one
-- call from C, so the per-record path is compiled Lua, not the C API's
-- lua_pcall and lua_getfield. Internal to `kprod run`; not a public module.
local ffi = require "ffi"
local core = require "kprod.core" -- also declares kp_header, kp_lua_slice
local blob = require "kprod.blob"

ffi.cdef [[
typedef struct kp_scn_worker kp_scn_worker;
void kp_scn_send(kp_scn_worker *w, const char *topic, const char *key, int32_t key_len,
                 const char *value, int32_t value_len, kp_lua_slice *slice,
                 const kp_header *headers, int32_t header_count, int32_t partition,
                 double timestamp);
void kp_scn_bad_record(kp_scn_worker *w, const char *why);
void kp_scn_bad_answer(kp_scn_worker *w, const char *why);
void kp_scn_skip(kp_scn_worker *w);
]]

local C = ffi.C
local type, tostring, pairs, rawget = type, tostring, pairs, rawget
local is_slice = blob.is_slice
local put_header = core.put_header

-- What kp_scn_send takes as value_len for "no value given": --size random bytes.
local DEFAULT_VALUE = -2
local INT32_MAX = 2147483647
-- Timestamps C converts to int64 (NaN and infinities refused with the rest).
local TS_LIMIT = 2 ^ 62

local M = {}

-- A string field: the string (numbers become strings, as in Lua's
-- concatenation), nil, or false for another type. not_false: false itself
-- is refused too.
local function string_of(v, not_false)
  local t = type(v)
  if t == "string" then return v end
  if t == "number" then return tostring(v) end
  if v == nil then return nil end
  if v == false and not not_false then return false end
  return false, true
end

-- Fills headers (a kp_header[?] of cap entries) from h; returns the count,
-- the array (grown when needed), or nil and why.
local function fill_headers(h, headers, cap)
  if type(h) ~= "table" then
    return nil, "'headers' must be a table of name = value or a list of {name, value}"
  end
  local list = rawget(h, 1) ~= nil
  local n = 0
  for k, v in pairs(h) do
    if list then
      if type(v) ~= "table" then return nil, "'headers' list entries must be {name, value}" end
      k, v = rawget(v, 1), rawget(v, 2)
    end
    if type(k) ~= "string" or (v ~= nil and type(v) ~= "string") then
      return nil, "'headers' names and values must be strings"
    end
    headers, cap = put_header(headers, cap, n, k, v)
    n = n + 1
  end
  return n, headers, cap
end

-- M.burst(w, worker, message, pending, slots): the function C calls as
-- burst(seq, stride, n): message(worker, seq + i * stride) for i = 0..n-1,
-- each answer sent (or refused) through kp_scn_*, which account it and move
-- C's cursor on. An error (message() raising) stops the burst; C reports it
-- and calls again for the records after it. pending, when delivered() is
-- defined, keeps each answer for it, at slot (cursor % slots) + 1, where
-- cursor counts the worker's records from 0 (the fourth argument).
function M.burst(w, worker, message, pending, slots)
  w = ffi.cast("kp_scn_worker *", w)
  local headers, cap = ffi.new("kp_header[?]", 8), 8
  local EMPTY = {}

  -- Sends a record table; every refusal names the field at fault, first the
  -- first of topic, key, value, partition, timestamp, headers.
  local function send_table(rec)
    local topic, bad = string_of(rec.topic, true)
    if bad or topic == "" then return C.kp_scn_bad_record(w, "'topic' must be a non-empty string") end
    local key
    key, bad = string_of(rec.key, true)
    if bad then return C.kp_scn_bad_record(w, "'key' must be a string or nil") end
    local value, slice, vlen = rec.value, nil, DEFAULT_VALUE
    if is_slice(value) then
      slice, vlen, value = value, value.len, nil
    else
      value, bad = string_of(value, false)
      if bad then
        return C.kp_scn_bad_record(w,
          "'value' must be a string, a kprod.blob slice, nil (--size random bytes) or false (null)")
      end
      if value then
        vlen = #value
      elseif value == false then
        value, vlen = nil, -1
      end
    end
    local partition = rec.partition
    if partition == nil then
      partition = -1
    elseif type(partition) ~= "number" or partition < 0 or partition % 1 ~= 0 or partition > INT32_MAX then
      return C.kp_scn_bad_record(w, "'partition' must be a partition number or nil")
    end
    local ts = rec.timestamp
    if ts == nil then
      ts = 0
    elseif type(ts) ~= "number" or not (ts >= 0 and ts < TS_LIMIT) then
      return C.kp_scn_bad_record(w, "'timestamp' must be milliseconds since the epoch or nil")
    end
    local nh, h = 0, rec.headers
    if h ~= nil then
      local why
      nh, why, cap = fill_headers(h, headers, cap)
      if not nh then return C.kp_scn_bad_record(w, why) end
      headers = why
    end
    C.kp_scn_send(w, topic, key, key and #key or -1, value, vlen, slice, headers, nh, partition, ts)
  end

  local function send(rec, cursor)
    if rec == nil then return C.kp_scn_skip(w) end
    local t = type(rec)
    local slice = t == "cdata" and is_slice(rec)
    if t ~= "string" and t ~= "table" and not slice then
      return C.kp_scn_bad_answer(w, ("message() returned a %s: expected a record table, a value string, "
        .. "a kprod.blob slice or nil"):format(t))
    end
    if pending then pending[cursor % slots + 1] = rec end
    if t == "string" then return C.kp_scn_send(w, nil, nil, -1, rec, #rec, nil, nil, 0, -1, 0) end
    if slice then return C.kp_scn_send(w, nil, nil, -1, nil, rec.len, rec, nil, 0, -1, 0) end
    send_table(rec)
  end

  if not message then
    return function(_, _, n, cursor)
      -- delivered() gets each record its own table, as message() would give.
      for i = 0, n - 1 do send(pending and {} or EMPTY, cursor + i) end
    end
  end
  return function(seq, stride, n, cursor)
    for i = 0, n - 1 do send(message(worker, seq + i * stride), cursor + i) end
  end
end

return M
