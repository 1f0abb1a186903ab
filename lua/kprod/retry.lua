-- kprod/retry.lua — copies a retry policy into the sender thread's own Lua
-- state: its bytecode by string.dump, its upvalues by value.
--
-- The sender thread must never touch the script's Lua state, so the policy
-- runs in a state of its own (as wrk gives each thread one). What crosses:
--   * the function's bytecode (string.dump);
--   * each upvalue, copied: nil, booleans, numbers, strings, tables of those
--     (deep, no cycles), Lua functions (copied the same way, recursively),
--     and loaded modules (required again there by name, e.g. kprod itself).
-- Globals the policy names resolve in the sender state: the standard
-- libraries and require. Anything else (cdata, userdata, coroutines, C
-- functions) is refused at kprod.producer{} time with the upvalue's name.
-- The copies live on in the sender state: a counter kept in an upvalue
-- counts across calls there, but the script never sees it change.
local core = require "kprod.core"

local M = {}

local function module_name(v)
  for name, mod in pairs(package.loaded) do
    if mod == v and type(name) == "string" then return name end
  end
end

local literal

-- "__restore(bytecode, {upvalues})": rebuilds a Lua function in the sender state.
local function function_literal(fn, seen, path)
  local ok, bc = pcall(string.dump, fn)
  if not ok then
    error(("%s is a C function: a retry policy can capture only Lua functions"):format(path), 0)
  end
  local ups = {}
  for i = 1, math.huge do
    local name, value = debug.getupvalue(fn, i)
    if not name then break end
    ups[#ups + 1] = ("[%d]=%s"):format(i, literal(value, seen, ("%s's upvalue '%s'"):format(path, name)))
  end
  return ("__restore(%q,{%s})"):format(bc, table.concat(ups, ","))
end

function literal(v, seen, path)
  local t = type(v)
  if t == "nil" or t == "boolean" then return tostring(v) end
  if t == "number" then
    if v ~= v then return "0/0" end
    if v == math.huge then return "1/0" end
    if v == -math.huge then return "-1/0" end
    return ("%.17g"):format(v)
  end
  if t == "string" then return ("%q"):format(v) end
  local mod = (t == "table" or t == "function") and module_name(v)
  if mod then return ("require(%q)"):format(mod) end
  if seen[v] then error(("%s refers to itself: a retry policy can capture only acyclic tables"):format(path), 0) end
  if t == "function" then
    seen[v] = true
    local s = function_literal(v, seen, path)
    seen[v] = nil
    return s
  end
  if t ~= "table" then
    error(("%s is a %s: a retry policy runs in the sender thread's own Lua state and can "
      .. "capture only nil, booleans, numbers, strings, tables, Lua functions and modules"):format(path, t), 0)
  end
  seen[v] = true
  local parts = {}
  for k, x in pairs(v) do
    parts[#parts + 1] = ("[%s]=%s"):format(literal(k, seen, path .. " (a key)"),
      literal(x, seen, ("%s.%s"):format(path, tostring(k))))
  end
  seen[v] = nil
  return "{" .. table.concat(parts, ",") .. "}"
end

-- Returns the policy's bytecode and the prelude kp_lua_retry_new runs:
-- Lua source returning function(f) that restores f's upvalues and returns f.
-- Raises an error naming the upvalue that cannot cross.
function M.serialize(fn)
  local ok, bc = pcall(string.dump, fn)
  if not ok then error("'retry' must be a Lua function, not a C function", 0) end
  local sets = {}
  for i = 1, math.huge do
    local name, value = debug.getupvalue(fn, i)
    if not name then break end
    local lit = value == fn and "f" or literal(value, { [fn] = true }, ("upvalue '%s'"):format(name))
    sets[#sets + 1] = ("debug.setupvalue(f,%d,%s)"):format(i, lit)
  end
  local cpath = package.cpath
  if core.libpath then cpath = core.libpath:gsub("[^/]*$", "?.so") .. ";" .. cpath end
  local prelude = table.concat({
    ("package.path=%q package.cpath=%q"):format(package.path, cpath),
    "local function __restore(bc, ups) local g = assert(loadstring(bc))",
    "  for i, v in pairs(ups) do debug.setupvalue(g, i, v) end return g end",
    "return function(f)", table.concat(sets, "\n"), "return f end",
  }, "\n")
  return bc, prelude
end

return M
