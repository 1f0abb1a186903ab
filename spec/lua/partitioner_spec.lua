-- partitioner_spec.lua — every partitioner: Java's murmur2 vectors, placement
-- of thousands of keys equal to librdkafka's (kcat) for murmur2, consistent
-- and fnv1a, sticky/round-robin/random for keyless records, Lua partitioners.
local helper = require "helper"
local kprod = helper.kprod

local N = 3000

-- key -> partition for N keys produced by kcat with librdkafka's partitioner.
local function kcat_placement(partitioner, partitions)
  local topic = helper.topic("kcat-" .. partitioner, partitions)
  local path = os.tmpname()
  local f = assert(io.open(path, "w"))
  for i = 1, N do f:write("key-", i, "\tv\n") end
  f:close()
  local status, out = helper.run(("kcat -P -b '%s' -t '%s' -K '\t' -X partitioner=%s -X linger.ms=5 < %s")
    :format(helper.peer().bootstrap, topic, partitioner, path))
  os.remove(path)
  assert(status == 0, out)
  local place = {}
  for _, r in ipairs(helper.consume(topic)) do place[r.key] = r.partition end
  return place
end

local function kprod_placement(partitioner, partitions)
  local topic = helper.topic("kprod-" .. tostring(partitioner), partitions)
  local p = helper.producer { partitioner = partitioner, ["linger.ms"] = 5 }
  for i = 1, N do assert(p:send { topic = topic, key = "key-" .. i, value = "v" }) end
  assert.is_true(p:close())
  local place = {}
  for _, r in ipairs(helper.consume(topic)) do place[r.key] = r.partition end
  return place
end

local function assert_same_placement(want, got)
  local n, diff = 0, 0
  for k, part in pairs(want) do
    n = n + 1
    if got[k] ~= part then diff = diff + 1 end
  end
  assert.are.equal(N, n)
  assert.are.equal(0, diff)
end

describe("partitioners", function()
  it("murmur2 equals Java's Utils.murmur2 on the Java client's test vectors", function()
    local vectors = {
      ["21"] = -973932308, ["foobar"] = -790332482,
      ["a-little-bit-long-string"] = -985981536,
      ["a-little-bit-longer-string"] = -1486304829,
      ["lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8"] = -58897971,
      ["abc"] = 479470107,
    }
    for key, want in pairs(vectors) do assert.are.equal(want, kprod.hash.murmur2(key), key) end
  end)

  it("fnv1a is 32-bit FNV-1a", function()
    assert.are.equal(0x811c9dc5, kprod.hash.fnv1a(""))
    assert.are.equal(0xe40c292c, kprod.hash.fnv1a("a"))
    assert.are.equal(0xbf9cf968, kprod.hash.fnv1a("foobar"))
  end)

  it("murmur2 places keys where kcat's murmur2_random (Java's rule) does", function()
    local want = kcat_placement("murmur2_random", 7)
    for k, part in pairs(want) do assert.are.equal(part, kprod.partition.murmur2(k, 7)) end
    assert_same_placement(want, kprod_placement("murmur2", 7))
    assert_same_placement(want, kprod_placement(nil, 7)) -- the default
  end)

  it("consistent places keys where librdkafka's consistent (CRC-32) does", function()
    local want = kcat_placement("consistent", 5)
    for k, part in pairs(want) do assert.are.equal(part, kprod.partition.consistent(k, 5)) end
    assert_same_placement(want, kprod_placement("consistent", 5))
  end)

  it("fnv1a places keys where librdkafka's fnv1a (Sarama's hash partitioner) does", function()
    local want = kcat_placement("fnv1a", 6)
    for k, part in pairs(want) do assert.are.equal(part, kprod.partition.fnv1a(k, 6)) end
    assert_same_placement(want, kprod_placement("fnv1a", 6))
  end)

  it("keyless records stick to one partition per batch, then move on (KIP-480/794)", function()
    local topic = helper.topic("sticky", 4)
    local p = helper.producer { ["batch.size"] = 1000, ["linger.ms"] = 50 }
    local parts = {}
    for i = 1, 400 do
      p:send { topic = topic, value = ("%080d"):format(i), on_delivery = function(err, md)
        parts[i] = md.partition
      end }
    end
    assert.is_true(p:close())
    local switches, used = 0, {}
    for i = 1, 400 do
      used[parts[i]] = true
      if i > 1 and parts[i] ~= parts[i - 1] then switches = switches + 1 end
    end
    -- ~150 bytes counted per record (an upper bound with the batch header),
    -- batch.size 1000: a switch every 6-7 records, never after each record
    assert.is_true(switches >= 20 and switches <= 90, "switches: " .. switches)
    local n = 0
    for _ in pairs(used) do n = n + 1 end
    assert.is_true(n >= 3)
  end)

  it("sticky ignores keys (partitioner.ignore.keys)", function()
    local topic = helper.topic("sticky-keys", 4)
    local p = helper.producer { partitioner = "sticky", ["linger.ms"] = 50 }
    local parts = {}
    for i = 1, 20 do
      p:send { topic = topic, key = "k" .. i, value = "v", on_delivery = function(_, md) parts[md.partition] = true end }
    end
    assert.is_true(p:close())
    local n = 0
    for _ in pairs(parts) do n = n + 1 end
    assert.are.equal(1, n) -- 20 tiny records fit one batch
  end)

  it("round_robin cycles through every partition", function()
    local topic = helper.topic("rr", 3)
    local p = helper.producer { partitioner = "round_robin" }
    local seq = {}
    for i = 1, 9 do
      p:send { topic = topic, key = "same", value = "v", on_delivery = function(_, md) seq[i] = md.partition end }
    end
    assert.is_true(p:close())
    for i = 4, 9 do assert.are.equal(seq[i - 3], seq[i]) end
    assert.are_not.equal(seq[1], seq[2])
    assert.are_not.equal(seq[2], seq[3])
    assert.are_not.equal(seq[1], seq[3])
  end)

  it("random spreads records over the partitions", function()
    local topic = helper.topic("random", 4)
    local p = helper.producer { partitioner = "random" }
    local count = {}
    for i = 1, 400 do
      p:send { topic = topic, key = "same", value = "v", on_delivery = function(_, md)
        count[md.partition] = (count[md.partition] or 0) + 1
      end }
    end
    assert.is_true(p:close())
    for part = 0, 3 do assert.is_true((count[part] or 0) > 40, "partition " .. part) end
  end)

  describe("a Lua function", function()
    it("gets (key, partition_count, topic) and places the record", function()
      local topic = helper.topic("fn", 5)
      local calls = {}
      local p = helper.producer { partitioner = function(key, n, t)
        calls[#calls + 1] = { key, n, t }
        return key and (#key % n) or n - 1
      end }
      local parts = {}
      for _, k in ipairs { "a", "bb", "ccc", "dddddd" } do
        assert.is_true(p:send { topic = topic, key = k, value = "v", on_delivery = function(_, md) parts[k] = md.partition end })
      end
      p:send { topic = topic, value = "keyless", on_delivery = function(_, md) parts.keyless = md.partition end }
      assert.is_true(p:close())
      assert.same({ "a", 5, topic }, calls[1])
      assert.same({ a = 1, bb = 2, ccc = 3, dddddd = 1, keyless = 4 }, parts)
    end)

    it("is not called for records with an explicit partition", function()
      local topic = helper.topic("fn-explicit", 2)
      local called = false
      local p = helper.producer { partitioner = function() called = true return 0 end }
      assert.is_true(p:send { topic = topic, partition = 1, value = "v" })
      p:close()
      assert.is_false(called)
    end)

    for _, case in ipairs {
      { "an out-of-range answer", function(_, n) return n end, "partitioner returned 3 for topic '[^']+': expected an integer 0%.%.2" },
      { "a non-number answer", function() return "one" end, "partitioner returned string one" },
      { "a fractional answer", function() return 0.5 end, "partitioner returned 0.5" },
      { "an error", function() error("no partition for you") end, "partitioner failed: .*no partition for you" },
    } do
      it("fails the record with a clear error on " .. case[1], function()
        local topic = helper.topic("fn-bad", 3)
        local p = helper.producer { partitioner = case[2] }
        local cb_err
        local ok, msg, code = p:send { topic = topic, key = "k", value = "v", on_delivery = function(err) cb_err = err end }
        assert.is_nil(ok)
        assert.matches(case[3], msg)
        assert.are.equal(kprod.errors._PARTITIONER, code)
        assert.are.equal("_PARTITIONER: " .. msg, cb_err) -- on_delivery's err is "NAME: message"
        assert.is_true(p:send { topic = topic, partition = 0, value = "still works" })
        local m = p:metrics()
        assert.are.equal(1, m.hook_errors)
        assert.are.equal(1, m.rejected)
        p:close()
      end)
    end
  end)
end)
