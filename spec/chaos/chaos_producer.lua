-- chaos_producer.lua — the chaos suite's producer: paced keyed records whose values carry their sequence number, one on_delivery per record, and a ledger of every outcome.
-- Run: build/kprod run spec/chaos/chaos_producer.lua -b BROKERS [-X prop=value]... -- TOPIC RATE SECONDS LEDGER [KEYS]
--
-- Record i (1..RATE*SECONDS) is chaos_record.lua's: its value starts with i. The
-- ledger has one line per record, written after close:
--   i TAB key TAB partition TAB offset TAB callbacks TAB error-name-or-"-"
-- and a last "# metrics name=value ..." line. callbacks counts how often the
-- record's on_delivery ran, so missing (0) and doubled (>1) ones show.
package.path = (arg[0]:match("^(.*)/") or ".") .. "/?.lua;" .. package.path
local kprod = require "kprod"
local record = require "chaos_record"

local topic, rate, seconds, ledger_path, keys = ...
rate, seconds, keys = tonumber(rate), tonumber(seconds), tonumber(keys or 256)
if not (topic and rate and seconds and ledger_path and keys) then
  error("usage: chaos_producer.lua TOPIC RATE SECONDS LEDGER [KEYS]", 0)
end
local n = math.floor(rate * seconds)

local partition, offset, calls, errname = {}, {}, {}, {}
local function on_delivery_for(i)
  return function(err, md)
    calls[i] = (calls[i] or 0) + 1
    partition[i], offset[i] = md.partition, md.offset
    errname[i] = err and kprod.error_name(md.code) or nil
  end
end

local p = assert(kprod.producer {})
local start = kprod.now()
-- Paced: record i is due at start + i/rate seconds; callbacks run in between.
for i = 1, n do
  local due = start + (i - 1) * 1000 / rate
  local wait = due - kprod.now()
  if wait > 1 then
    p:poll(0)
    kprod.sleep(wait)
  end
  local key = record.key(i, keys)
  p:send { topic = topic, key = key, value = record.value(i, key), on_delivery = on_delivery_for(i) }
end
p:flush()
local m = p:metrics()
p:close()

local out = assert(io.open(ledger_path, "w"))
for i = 1, n do
  out:write(("%d\t%s\t%d\t%d\t%d\t%s\n"):format(i, record.key(i, keys), partition[i] or -1,
    offset[i] or -1, calls[i] or 0, errname[i] or "-"))
end
out:write(("# metrics sent=%d acked=%d failed=%d retried=%d batches=%d batches_retried=%d " ..
  "requests=%d epoch_bumps=%d partition_inflight_max=%d hook_errors=%d seconds=%.1f\n"):format(m.sent,
  m.acked, m.failed, m.retried, m.batches, m.batches_retried, m.requests, m.epoch_bumps,
  m.partition_inflight_max, m.hook_errors,
  (kprod.now() - start) / 1000))
out:close()
