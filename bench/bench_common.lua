-- bench_common.lua — what the benchmark's two kprod scripts share
-- (bench/kprod_bench.lua, bench/kprod_paced.lua): their name=value
-- arguments and the record pool. Loaded with dofile from the script's folder.
local M = {}

-- parse(own, defaults, ...): the script's own arguments (names in `own`) into
-- a copy of `defaults`, every other name=value into a table of producer
-- properties. Returns opts, props; raises "expected name=value" otherwise.
function M.parse(own, defaults, ...)
  local opts, props = {}, {}
  for k, v in pairs(defaults) do opts[k] = v end
  for i = 1, select("#", ...) do
    local a = select(i, ...)
    local k, v = a:match("^([^=]+)=(.*)$")
    if not k then error(("expected name=value, got '%s'"):format(a), 0) end
    if own[k] then opts[k] = v else props[k] = v end
  end
  if not opts.data then error("data=FILE is required", 0) end
  return opts, props
end

-- load_pool(path): the KEY<TAB>VALUE lines of the pool file as two arrays of
-- strings and their count. Reading lines leaves a garbage string per record;
-- a full collection at every step of the load keeps it from doubling the
-- pool's peak memory (the baseline loads its pool without garbage).
function M.load_pool(path)
  local keys, values, n = {}, {}, 0
  local f, err = io.open(path, "rb")
  if not f then error(err, 0) end
  local pause = collectgarbage("setpause", 100)
  for line in f:lines() do
    local tab = line:find("\t", 1, true)
    if not tab then
      f:close()
      collectgarbage("setpause", pause)
      error(("%s:%d: expected KEY<TAB>VALUE"):format(path, n + 1), 0)
    end
    n = n + 1
    keys[n], values[n] = line:sub(1, tab - 1), line:sub(tab + 1)
  end
  f:close()
  collectgarbage("setpause", pause)
  if n == 0 then error(path .. ": no records", 0) end
  return keys, values, n
end

-- load_pool_slices(path): load_pool's keys, and the values as slices of the
-- file read once into a kprod.blob, so that send refers to them instead of
-- copying them: the baseline sends its pool without copies too
-- (bench/baseline/baseline.c). The lines are found in the blob itself
-- (memchr), so the file is read once and no line string is made.
function M.load_pool_slices(path)
  local ffi = require "ffi"
  pcall(ffi.cdef, "void *memchr(const void *s, int c, size_t n);") -- once per Lua state
  local blob, err = require("kprod").blob_file(path)
  if not blob then error(err, 0) end
  local base, size = ffi.cast("const char *", blob.data), #blob
  local function find(byte, from, to) -- 0-based offset of byte in [from, to), or nil
    local hit = ffi.C.memchr(base + from, byte, to - from)
    return hit ~= nil and tonumber(ffi.cast("const char *", hit) - base) or nil
  end
  local keys, values, n, pos = {}, {}, 0, 0 -- pos: the line's 0-based offset
  while pos < size do
    local stop = find(10, pos, size) or size -- the newline, or the end
    local tab = find(9, pos, stop)
    if not tab then error(("%s:%d: expected KEY<TAB>VALUE"):format(path, n + 1), 0) end
    n = n + 1
    keys[n], values[n] = ffi.string(base + pos, tab - pos), blob:sub(tab + 2, stop)
    pos = stop + 1
  end
  if n == 0 then error(path .. ": no records", 0) end
  return keys, values, n
end

return M
