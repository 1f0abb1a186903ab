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

-- each_record(path, fn): calls fn(n, line, tab) for the n-th KEY<TAB>VALUE
-- line (tab: where the tab is); returns the count. Reading lines leaves a
-- garbage string per record; a full collection at every step of the load
-- keeps it from doubling the pool's peak memory (the baseline loads its
-- pool without garbage).
local function each_record(path, fn)
  local f, err = io.open(path, "rb")
  if not f then error(err, 0) end
  local pause, n = collectgarbage("setpause", 100), 0
  for line in f:lines() do
    local tab = line:find("\t", 1, true)
    if not tab then
      f:close()
      collectgarbage("setpause", pause)
      error(("%s:%d: expected KEY<TAB>VALUE"):format(path, n + 1), 0)
    end
    n = n + 1
    fn(n, line, tab)
  end
  f:close()
  collectgarbage("setpause", pause)
  if n == 0 then error(path .. ": no records", 0) end
  return n
end

-- load_pool(path): the KEY<TAB>VALUE lines of the pool file as two arrays of
-- strings and their count.
function M.load_pool(path)
  local keys, values = {}, {}
  local n = each_record(path, function(i, line, tab)
    keys[i], values[i] = line:sub(1, tab - 1), line:sub(tab + 1)
  end)
  return keys, values, n
end

-- load_pool_slices(path): load_pool's keys, and the values as slices of the
-- file read once into a kprod.blob, so that send refers to them instead of
-- copying them: the baseline sends its pool without copies too
-- (bench/baseline/baseline.c). Lines end with a newline, as gen_records.lua
-- writes them.
function M.load_pool_slices(path)
  local kprod = require "kprod"
  local blob, err = kprod.blob_file(path)
  if not blob then error(err, 0) end
  local keys, values, pos = {}, {}, 0 -- pos: the line's offset in the file
  local n = each_record(path, function(i, line, tab)
    keys[i], values[i] = line:sub(1, tab - 1), blob:sub(pos + tab + 1, pos + #line)
    pos = pos + #line + 1
  end)
  if pos < #blob then error(path .. ": changed while it was read", 0) end
  return keys, values, n
end

return M
