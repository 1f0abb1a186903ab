-- custom_partitioner.lua — route records with a Lua partitioner: VIP
-- customers to partition 0, everyone else spread over the rest by murmur2.
-- Run: build/kprod run examples/custom_partitioner.lua [-b host:9092]
local kprod = require "kprod"

local VIP = { ["alice"] = true, ["bob"] = true }

-- Called for every record without an explicit partition, with its key (nil
-- for keyless records), the topic's partition count and the topic. Return a
-- partition number; anything else fails that record with a clear error.
local function vip_first(key, partitions, topic)
  if key and VIP[key] then return 0 end
  if not key then return partitions - 1 end
  return 1 + kprod.partition.murmur2(key, partitions - 1)
end

local p = assert(kprod.producer { partitioner = vip_first })
local placed = {}
for _, user in ipairs { "alice", "bob", "carol", "dave", "erin", "frank" } do
  p:send { topic = "orders", key = user, value = "order from " .. user,
    on_delivery = function(err, md)
      assert(not err, err)
      placed[#placed + 1] = ("%s -> partition %d (offset %d)"):format(user, md.partition, md.offset)
    end }
end
assert(p:close())
table.sort(placed)
print(table.concat(placed, "\n"))
