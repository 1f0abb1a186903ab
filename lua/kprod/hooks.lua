-- kprod/hooks.lua — calling user hooks (partitioner, transform, on_delivery):
-- the one protected call with traceback, and how a failure is reported.
local core = require "kprod.core"
local C = core.C

local M = {}

local traceback = debug.traceback

-- Calls fn(...) protected. Returns true, results... or false, message with traceback.
function M.call(fn, ...)
  return xpcall(fn, traceback, ...)
end

-- The message without its traceback: what a record's error carries.
function M.first_line(msg)
  msg = tostring(msg)
  return msg:match("^[^\n]*")
end

-- Reports a failed hook: printed once per distinct message with its
-- traceback, then counted (runtime/lua/kp_lua_hook_log.c); the summary
-- comes when the producer closes.
function M.report(lp, what, msg)
  C.kp_lua_producer_hook_error(lp, what, tostring(msg))
end

-- Normalises producer{transform = fn | {fn, ...}} to a list, or nil.
function M.transform_list(t)
  if t == nil then return nil end
  if type(t) == "function" then return { t } end
  if type(t) ~= "table" then
    error("producer: 'transform' must be a function or a list of functions", 3)
  end
  local list = {}
  for i = 1, #t do
    if type(t[i]) ~= "function" then
      error(("producer: 'transform' entry %d must be a function, got %s"):format(i, type(t[i])), 3)
    end
    list[i] = t[i]
  end
  if next(t, #t > 0 and #t or nil) ~= nil then
    error("producer: 'transform' must be a function or a list (array) of functions", 3)
  end
  return #list > 0 and list or nil
end

return M
