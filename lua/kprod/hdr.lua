-- kprod/hdr.lua — HDR latency histograms from Lua (runtime/kp_hdr.c): decode
-- HdrHistogram's V2 compressed base64, merge, percentiles, encode.
local ffi = require "ffi"
local core = require "kprod.core"

local C, errbuf, ERRLEN = core.C, core.errbuf, core.errlen

local M = {}
local Hist = {}
Hist.__index = Hist

local function wrap(h) return setmetatable({ h = ffi.gc(h, C.kp_hdr_free) }, Hist) end

-- An empty histogram of microseconds, 1 us to 1 hour, 2 significant digits.
function M.new() return wrap(C.kp_hdr_new_latency()) end

-- The histogram a "HISTF..." string holds, or nil, message.
function M.decode(text)
  if type(text) ~= "string" then return nil, "histogram: expected a base64 string" end
  local h = C.kp_hdr_decode(text, #text, errbuf, ERRLEN)
  if h == nil then return nil, core.errmsg() end
  return wrap(h)
end

function Hist:record(value_us, count) C.kp_hdr_record_n(self.h, value_us, count or 1) end

-- Adds other's counts into self (a merge: the histogram of the union).
function Hist:add(other)
  if C.kp_hdr_add(self.h, other.h) ~= 0 then error("histograms with different ranges cannot merge", 2) end
  return self
end

function Hist:count() return tonumber(C.kp_hdr_total(self.h)) end
function Hist:percentile(p) return tonumber(C.kp_hdr_percentile(self.h, p)) end

function Hist:encode()
  local p = C.kp_hdr_encode(self.h)
  if p == nil then error("out of memory", 2) end
  local s = ffi.string(p)
  C.free(p)
  return s
end

-- Non-empty buckets as {lo, hi, count} (microseconds).
function Hist:buckets()
  local idx, lo, hi, n = ffi.new("int32_t[1]", -1), ffi.new("int64_t[1]"), ffi.new("int64_t[1]"), ffi.new("int64_t[1]")
  local out = {}
  while C.kp_hdr_next(self.h, idx, lo, hi, n) == 1 do
    out[#out + 1] = { tonumber(lo[0]), tonumber(hi[0]), tonumber(n[0]) }
  end
  return out
end

-- The latency summary a result carries: p50 .. p99.99, max, min, mean (ms), count.
function Hist:latency_ms()
  local t = { count = self:count(), max = tonumber(C.kp_hdr_max(self.h)) / 1e3,
    min = tonumber(C.kp_hdr_min(self.h)) / 1e3, mean = C.kp_hdr_mean(self.h) / 1e3 }
  for k, p in pairs { p50 = 50, p90 = 90, p99 = 99, p999 = 99.9, p9999 = 99.99 } do
    t[k] = self:percentile(p) / 1e3
  end
  return t
end

return M
