-- quickstart.lua — produce 100,000 keyed records and print the delivery summary.
-- Run: build/kprod run examples/quickstart.lua [-b host:9092] [-- N]
-- Without -b, kprod starts an embedded test cluster for the script.
local kprod = require "kprod"

local n = tonumber((...)) or 100000

-- Properties use the Java client's names; bootstrap.servers comes from -b.
local p = assert(kprod.producer {
  ["linger.ms"] = 5,
  ["compression.type"] = "zstd",
  ["acks"] = "all",
})

local failed = 0
local start = kprod.now()
for i = 1, n do
  p:send {
    topic = "quickstart",
    key = "user-" .. (i % 1000),          -- murmur2 puts each user on one partition
    value = ('{"seq":%d,"event":"click"}'):format(i),
    -- Only records that ask for a callback pay for one: here, every 1000th.
    on_delivery = i % 1000 == 0 and function(err) if err then failed = failed + 1 end end or nil,
  }
end
assert(p:flush())                          -- wait for every acknowledgement
local secs = (kprod.now() - start) / 1000
local m = p:metrics()
print(("%d records sent, %d acked, %d failed in %.2fs (%.0f records/s), %d batches, %.1f MB on the wire")
  :format(m.sent, m.acked, m.failed, secs, m.sent / secs, m.batches, m.bytes / 1e6))
p:close()
return m.acked == n and failed == 0 and 0 or 1
