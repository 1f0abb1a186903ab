-- kprod/random.lua — kprod.random(seed): a fast deterministic generator
-- (mulberry32, the one kprod's partitioners use) for scripts' traffic.
local ffi = require "ffi"
local core = require "kprod.core"
local C = core.C

local floor = math.floor

local M = {}
local Random = {}
Random.__index = Random
M.Random = Random

-- Same seed, same sequence, on every machine. seed: any number (default 1).
function M.new(seed)
  if seed ~= nil and type(seed) ~= "number" then error("random: 'seed' must be a number", 2) end
  local state = ffi.new("uint32_t[1]", (seed or 1) % 4294967296)
  return setmetatable({ state = state, buf = nil, bufcap = 0 }, Random)
end

-- A uint32 as a number, 0..2^32-1.
function Random:next() return tonumber(C.kp_rand32(self.state)) end

-- A float in [0, 1) with 32 random bits.
function Random:float() return tonumber(C.kp_rand32(self.state)) / 4294967296 end

-- An integer in [lo, hi] (or [1, lo] with one argument), like math.random.
function Random:int(lo, hi)
  if hi == nil then lo, hi = 1, lo end
  if type(lo) ~= "number" or type(hi) ~= "number" or hi < lo then
    error("random:int: expected lo <= hi", 2)
  end
  return lo + floor(tonumber(C.kp_rand32(self.state)) / 4294967296 * (hi - lo + 1))
end

-- n random bytes as a string.
function Random:bytes(n)
  if type(n) ~= "number" or n < 0 then error("random:bytes: 'n' must be a non-negative number", 2) end
  if n > self.bufcap then
    self.bufcap = math.max(n, 256)
    self.buf = ffi.new("uint8_t[?]", self.bufcap)
  end
  C.kp_lua_random_fill(self.state, self.buf, n)
  return ffi.string(self.buf, n)
end

-- An element of list, uniformly.
function Random:pick(list)
  return list[1 + floor(tonumber(C.kp_rand32(self.state)) / 4294967296 * #list)]
end

return M
