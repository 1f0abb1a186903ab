-- kprod.lua — the kprod module: producers, clocks, Kafka's hashes and error
-- codes, the test cluster and traffic generators. `require "kprod"` works
-- inside `kprod run` (embedded bytecode) and from any LuaJIT (libkprod.so).
local core = require "kprod.core"
local producer = require "kprod.producer"

local ffi = require "ffi"
local C = core.C

local kprod = {
  _VERSION = "kprod 0.1",
  producer = producer.new,
  defaults = producer.defaults,
  close_all = producer.close_all,
  blob = require("kprod.blob").new,
  blob_file = require("kprod.blob").from_file,
}

-- Monotonic milliseconds (a float with sub-ms precision).
function kprod.now() return C.kp_lua_now_ms() end

-- Sleeps ms milliseconds (callbacks do not run meanwhile: poll for that).
function kprod.sleep(ms)
  if type(ms) ~= "number" then error("sleep: 'ms' must be a number, got " .. type(ms), 2) end
  C.kp_lua_sleep_ms(ms)
  if C.kp_lua_interrupted() ~= 0 then error("kprod: interrupted", 0) end
end

-- Error codes by name (kprod.errors.NOT_LEADER_OR_FOLLOWER == 6,
-- kprod.errors._TIMED_OUT == -101) and their names and retriability.
kprod.errors = {}
for i = 0, tonumber(C.kp_err_count()) - 1 do
  local code = C.kp_err_code_at(i)
  kprod.errors[ffi.string(C.kp_err_name(code))] = code
end
function kprod.error_name(code) return core.err_name(code) end
function kprod.error_retriable(code) return C.kp_err_retriable(code) == 1 end

local function check_key(fn, key)
  if type(key) ~= "string" then error(fn .. ": 'key' must be a string", 3) end
end
local function check_count(fn, n)
  if type(n) ~= "number" or n < 1 or n % 1 ~= 0 then
    error(fn .. ": 'partitions' must be a positive integer", 3)
  end
end

-- The hashes partitioners place keys with, bit-exact with other clients.
kprod.hash = {
  -- Java's Utils.murmur2 (signed 32-bit).
  murmur2 = function(key) check_key("hash.murmur2", key); return C.kp_murmur2(key, #key) end,
  -- 32-bit FNV-1a (Go's hash/fnv), unsigned.
  fnv1a = function(key) check_key("hash.fnv1a", key); return tonumber(C.kp_fnv1a32(key, #key)) end,
}

-- Where each partitioner puts a (non-null) key among n partitions.
kprod.partition = {
  murmur2 = function(key, n)
    check_key("partition.murmur2", key); check_count("partition.murmur2", n)
    return C.kp_partition_murmur2(key, #key, n)
  end,
  fnv1a = function(key, n)
    check_key("partition.fnv1a", key); check_count("partition.fnv1a", n)
    return C.kp_partition_fnv1a(key, #key, n)
  end,
  consistent = function(key, n)
    check_key("partition.consistent", key); check_count("partition.consistent", n)
    return C.kp_partition_consistent(key, #key, n)
  end,
}

-- Loaded on first use: kprod.mock_cluster, kprod.random and the generators.
local lazy = {
  mock_cluster = function() return require("kprod.mock").new end,
  random = function() return require("kprod.random").new end,
  keys = function() return require("kprod.gen").keys end,
  values = function() return require("kprod.gen").values end,
}
return setmetatable(kprod, {
  __index = function(t, k)
    local load = lazy[k]
    if not load then return nil end
    local v = load()
    rawset(t, k, v)
    return v
  end,
})
