-- transform.lua — transformations: add headers, drop records, fan out to
-- several topics. A transform gets the record table and returns it
-- (changed or not), nil to drop it, or a list of records.
-- Run: build/kprod run examples/transform.lua [-b host:9092]
local kprod = require "kprod"

-- 1. Tag every record with where it came from.
local function add_headers(r)
  r.headers = r.headers or {}
  r.headers.source = "kprod-example"
  return r
end

-- 2. Drop debug events.
local function drop_debug(r)
  if r.value:find('"level":"debug"', 1, true) then return nil end
  return r
end

-- 3. Errors also go to an alerts topic (a fan-out of two records).
local function copy_errors(r)
  if r.value:find('"level":"error"', 1, true) then
    return { r, { topic = "alerts", key = r.key, value = r.value, headers = r.headers } }
  end
  return r
end

-- A list runs in order; each step sees every record the previous one made.
local p = assert(kprod.producer { transform = { add_headers, drop_debug, copy_errors } })
local levels = { "info", "debug", "error", "info" }
local delivered = {}
for i = 1, 100 do
  p:send { topic = "logs", key = "host-" .. (i % 4),
    value = ('{"level":"%s","n":%d}'):format(levels[i % 4 + 1], i),
    on_delivery = function(err, md)
      assert(not err, err)
      delivered[md.topic] = (delivered[md.topic] or 0) + 1
    end }
end
assert(p:flush())
local m = p:metrics()
print(("logs: %d, alerts: %d, dropped: %d, fanned out: %d"):format(
  delivered.logs or 0, delivered.alerts or 0, m.dropped, m.fanned_out))
p:close()
return (delivered.logs == 75 and delivered.alerts == 25 and m.dropped == 25) and 0 or 1
