-- blob_spec.lua — kprod.blob: slices as values that send refers to instead of
-- copying; read back intact with every codec, the blob kept alive by the
-- records in flight, and referenced bytes counted against buffer.memory.
local helper = require "helper"
local kprod = helper.kprod

-- Printable bytes without tab or newline (helper.consume reads lines), each
-- position distinct enough that a wrong offset shows.
local function pool_string(n)
  local t = {}
  for i = 1, n do t[i] = string.char(33 + (i * 7 + math.floor(i / 94)) % 94) end
  return table.concat(t)
end

describe("kprod.blob", function()
  it("slices with string.sub's rules; tostring gives the bytes", function()
    local s = pool_string(3000)
    local b = kprod.blob(s)
    assert.are.equal(3000, #b)
    assert.are.equal(s, tostring(b))
    for _, ij in ipairs { { 11, 2010 }, { -5 }, { 1, 0 }, { 2990, 5000 }, { -100, -50 }, { 0, 3 } } do
      local v = b:sub(ij[1], ij[2])
      assert.are.equal(s:sub(ij[1], ij[2]), tostring(v))
      assert.are.equal(#s:sub(ij[1], ij[2]), #v)
    end
    assert.has_error(function() kprod.blob(42) end, "blob: expected a string, got number")
    assert.has_error(function() b:sub(1.5) end, "blob:sub: 'i' and 'j' must be integers")
  end)

  for _, codec in ipairs { "none", "lz4", "zstd" } do
    it("sends slices read back intact and in order, " .. codec .. ", the blob dropped in flight", function()
      local topic = helper.topic("blob-" .. codec, 2)
      local s = pool_string(64 * 1024)
      local b = kprod.blob(s)
      local p = helper.producer { ["linger.ms"] = 50, ["compression.type"] = codec, ["batch.size"] = 32768 }
      local expect, acked, n = {}, 0, 600
      for i = 1, n do
        -- referenced (>= 512 bytes), copied (short) and plain strings, mixed
        local off, len = (i * 811) % 60000 + 1, ({ 100, 700, 4000, 9000 })[i % 4 + 1]
        local v = i % 7 == 0 and s:sub(off, off + len - 1) or b:sub(off, off + len - 1)
        expect[i] = s:sub(off, off + len - 1)
        assert.is_true(p:send { topic = topic, partition = i % 2, key = tostring(i), value = v,
          on_delivery = function(err) if not err then acked = acked + 1 end end })
      end
      assert.is_true(b.refs > 1, "the batches hold the blob") -- records are still lingering
      local blob_refs = b.refs
      b = nil
      collectgarbage()
      collectgarbage()
      assert.is_true(p:flush())
      assert.are.equal(n, acked)
      assert.is_true(p:close())
      assert.is_true(blob_refs > 1)
      local got = helper.consume(topic)
      assert.are.equal(n, #got)
      local last = { [0] = -1, [1] = -1 }
      for _, r in ipairs(got) do
        local i = tonumber(r.key)
        assert.are.equal(i % 2, r.partition)
        assert.is_true(i > last[r.partition], "in send order per partition")
        last[r.partition] = i
        assert.are.equal(expect[i], r.value, "record " .. i)
      end
    end)
  end

  it("keeps a slice's CRC from its first send: a pool sent over and over reads back with valid CRCs", function()
    local topic = helper.topic("blob-crc", 3)
    local s = pool_string(20000)
    local b = kprod.blob(s)
    local pool, want = {}, {}
    for k = 1, 5 do
      local off, len = k * 1500, 600 + k * 700
      pool[k], want[k] = b:sub(off, off + len - 1), s:sub(off, off + len - 1)
      assert.are.equal(0, pool[k].has_crc)
    end
    local p = helper.producer { ["linger.ms"] = 5 }
    local n = 1000
    for i = 1, n do
      assert.is_true(p:send { topic = topic, partition = i % 3, key = tostring(i), value = pool[i % 5 + 1] })
    end
    for k = 1, 5 do assert.are.equal(1, pool[k].has_crc) end
    assert.is_true(p:flush())
    assert.are.equal(n, p:metrics().acked)
    assert.is_true(p:close())
    -- kcat checks every batch's CRC (check.crcs=true): a wrong one fails the read.
    local got = helper.consume(topic)
    assert.are.equal(n, #got)
    for _, r in ipairs(got) do
      assert.are.equal(want[tonumber(r.key) % 5 + 1], r.value, "record " .. r.key)
    end
  end)

  it("drops every reference once its records are done", function()
    local topic = helper.topic("blob-refs", 1)
    local b = kprod.blob(pool_string(20000))
    local slices = { b:sub(1, 10000), b:sub(5001, 15000), b:sub(-600) }
    assert.are.equal(4, b.refs) -- the blob object and its three slices
    local p = helper.producer { ["linger.ms"] = 1000 }
    for i = 1, 30 do assert.is_true(p:send { topic = topic, value = slices[i % 3 + 1] }) end
    assert.is_true(b.refs > 4)
    assert.is_true(p:flush())
    assert.are.equal(4, b.refs)
    assert.is_true(p:close())
    slices = nil
    collectgarbage()
    collectgarbage()
    assert.are.equal(1, b.refs)
  end)

  it("counts referenced bytes against buffer.memory as if they were copied", function()
    local topic = helper.topic("blob-mem", 2)
    local s = pool_string(10240)
    local b = kprod.blob(s)
    local v = b:sub(1)
    local accepted = {}
    for _, mode in ipairs { "copied", "referenced" } do
      -- Nothing is ready before the flush (no batch fills, the linger is
      -- long), so no acknowledgement frees memory while the loop runs, however
      -- slowly it runs (under valgrind it does).
      local p = helper.producer { ["linger.ms"] = 60000, ["batch.size"] = 1048576,
        ["buffer.memory"] = 65536, ["max.block.ms"] = 0 }
      -- max.block.ms=0 does not wait for metadata either: a first record
      -- (on partition 1) goes once it is known.
      local deadline = kprod.now() + 10000
      while not p:send { topic = topic, partition = 1, value = "warm" } do
        assert.is_true(kprod.now() < deadline, "no metadata for " .. topic)
        kprod.sleep(20)
      end
      local n, code = 0, nil
      for _ = 1, 60 do
        local ok, _, c = p:send { topic = topic, partition = 0, value = mode == "copied" and s or v }
        if not ok then code = c break end
        n = n + 1
      end
      assert.are.equal(kprod.errors._QUEUE_FULL, code)
      assert.are.equal(0, p:metrics().acked)
      accepted[mode] = n
      assert.is_true(p:flush())
      assert.are.equal(n + 1, p:metrics().acked)
      assert.is_true(p:close())
    end
    -- 64 KiB hold at most six 10 KiB values either way (copies fewer: their
    -- batch grows by doubling); were the referenced bytes not counted, all
    -- 60 records' frames would fit.
    assert.is_true(accepted.copied >= 2 and accepted.copied <= 6, "copied " .. accepted.copied)
    assert.is_true(accepted.referenced >= accepted.copied and accepted.referenced <= 6,
      "referenced " .. accepted.referenced)
  end)
end)
