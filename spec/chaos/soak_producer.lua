-- soak_producer.lua — scripts/soak's producer: paced keyed records for a while, counting outcomes without keeping per-record state.
-- Run: build/kprod run spec/chaos/soak_producer.lua -b BROKERS [-X prop=value]... -- TOPIC RATE SECONDS
-- Prints "progress SECONDS SENT ACKED FAILED" every 5 s and a last
-- "done ..." line with the failures by error; exits 1 when a callback is
-- missing (acked + failed ~= sent after close).
package.path = (arg[0]:match("^(.*)/") or ".") .. "/?.lua;" .. package.path
local kprod = require "kprod"
local record = require "chaos_record"

local topic, rate, seconds = ...
rate, seconds = tonumber(rate), tonumber(seconds)
if not (topic and rate and seconds) then error("usage: soak_producer.lua TOPIC RATE SECONDS", 0) end

local KEYS = 1024
local acked, failed, failed_by = 0, 0, {}
local function on_delivery(err, md)
  if err then
    failed = failed + 1
    local name = kprod.error_name(md.code)
    failed_by[name] = (failed_by[name] or 0) + 1
  else
    acked = acked + 1
  end
end

local p = assert(kprod.producer {})
local start = kprod.now()
local next_report, sent = 5000, 0
while true do
  local elapsed = kprod.now() - start
  if elapsed >= seconds * 1000 then break end
  -- Catch up to elapsed * rate records, then sleep a little.
  local due = math.floor(elapsed * rate / 1000)
  while sent < due do
    sent = sent + 1
    local key = record.key(sent, KEYS)
    p:send { topic = topic, key = key, value = record.value(sent, key), on_delivery = on_delivery }
  end
  p:poll(0)
  if elapsed >= next_report then
    print(("progress %.0f %d %d %d"):format(elapsed / 1000, sent, acked, failed))
    io.stdout:flush()
    next_report = next_report + 5000
  end
  kprod.sleep(2)
end
p:flush()
p:close()
local by = {}
for name, n in pairs(failed_by) do by[#by + 1] = name .. " " .. n end
table.sort(by)
print(("done sent %d acked %d failed %d (%s)"):format(sent, acked, failed,
  #by > 0 and table.concat(by, ", ") or "none"))
return acked + failed == sent and 0 or 1
