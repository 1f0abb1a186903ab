-- kprod/blob.lua — kprod.blob(s): bytes held once in C memory (runtime/kp_blob.h),
-- and slices of them that send refers to instead of copying. A batch holds
-- a reference to the blob until the broker answered for it, so a slice may
-- be dropped, and the blob collected, while its records are in flight.
local ffi = require "ffi"
local core = require "kprod.core"

local C = core.C
local type, tonumber = type, tonumber

local M = {}

local function unref(p) C.kp_blob_unref(p) end
local function unref_slice(s) C.kp_blob_unref(s.blob) end

-- string.sub's rule for i and j over n bytes: 1-based, inclusive, negative
-- counts from the end. Returns the 0-based offset and the length.
local function range(n, i, j)
  if i == nil then i = 1 end
  if j == nil then j = -1 end
  if type(i) ~= "number" or i % 1 ~= 0 or type(j) ~= "number" or j % 1 ~= 0 then
    error("blob:sub: 'i' and 'j' must be integers", 3)
  end
  if i < 0 then i = n + i + 1 end
  if j < 0 then j = n + j + 1 end
  if i < 1 then i = 1 end
  if j > n then j = n end
  if i > j then return 0, 0 end
  return i - 1, j - i + 1
end

local Blob = {}
-- blob:sub(i, j): the bytes string.sub(s, i, j) would give, as a value for
-- send that is referenced, not copied. Make slices once (a pool), not per send.
function Blob.sub(b, i, j)
  local off, len = range(tonumber(b.len), i, j)
  if len > 0x7fffffff then error("blob:sub: a value is at most 2 GiB", 2) end
  C.kp_blob_ref(b)
  return ffi.gc(ffi.new("kp_lua_slice", b, off, len), unref_slice)
end

ffi.metatype("kp_blob", {
  __index = Blob,
  __len = function(b) return tonumber(b.len) end,
  __tostring = function(b) return ffi.string(b.data, b.len) end,
})

local slice_t = ffi.metatype("kp_lua_slice", {
  __len = function(s) return s.len end,
  __tostring = function(s) return ffi.string(s.blob.data + s.offset, s.len) end,
})

-- kprod.blob(s): a blob holding a copy of the string s.
function M.new(s)
  if type(s) ~= "string" then error("blob: expected a string, got " .. type(s), 2) end
  local p = C.kp_blob_new(s, #s)
  if p == nil then error(("blob: out of memory for %d bytes"):format(#s), 2) end
  return ffi.gc(p, unref)
end

-- kprod.blob_file(path): a blob holding the file's bytes (read once, straight
-- into C memory), or nil, message.
function M.from_file(path)
  if type(path) ~= "string" then error("blob_file: expected a path, got " .. type(path), 2) end
  local p = C.kp_blob_from_file(path, core.errbuf, core.errlen)
  if p == nil then return nil, "blob_file: " .. core.errmsg() end
  return ffi.gc(p, unref)
end

-- true when v is a slice (what send refers to instead of copying).
function M.is_slice(v) return type(v) == "cdata" and ffi.istype(slice_t, v) end

return M
