-- producer_spec.lua — kprod.producer: send, poll, flush, close, metrics,
-- delivery callbacks (order, metadata, error isolation) and bad arguments.
local helper = require "helper"
local kprod = helper.kprod

describe("kprod.producer", function()
  it("delivers records read back intact, with headers, keys and null values", function()
    local topic = helper.topic("basic", 3)
    local p = helper.producer()
    for i = 1, 100 do
      assert.is_true(p:send { topic = topic, key = "k" .. i, value = "v" .. i, headers = { h = "x" .. i } })
    end
    assert.is_true(p:send { topic = topic, key = "null-value" })
    assert.is_true(p:flush())
    local m = p:metrics()
    assert.are.equal(101, m.sent)
    assert.are.equal(101, m.acked)
    assert.are.equal(0, m.failed)
    assert.is_true(p:close())
    local got = helper.consume(topic)
    assert.are.equal(101, #got)
    local seen = {}
    for _, r in ipairs(got) do seen[r.key] = r end
    assert.are.equal("v42", seen.k42.value)
    assert.are.equal("h=x42", seen.k42.headers)
    assert.are.equal("", seen["null-value"].value)
  end)

  it("runs on_delivery once per record with topic, partition, offset and timestamp", function()
    local topic = helper.topic("md", 2)
    local p = helper.producer()
    local reports = {}
    for i = 1, 50 do
      p:send { topic = topic, key = "k" .. (i % 5), value = tostring(i), timestamp = 1700000000000 + i,
        on_delivery = function(err, md) reports[#reports + 1] = { err = err, md = md, i = i } end }
    end
    assert.is_true(p:flush())
    assert.are.equal(50, #reports)
    local last = {}
    for _, r in ipairs(reports) do
      assert.is_nil(r.err)
      assert.are.equal(topic, r.md.topic)
      -- CreateTime as sent, unless the broker answered with a LogAppendTime
      -- (librdkafka's mock answers 1234 for every partition).
      assert.is_true(r.md.timestamp == 1700000000000 + r.i or r.md.timestamp == 1234, r.md.timestamp)
      assert.is_true(r.md.partition == 0 or r.md.partition == 1)
      -- within a partition, callbacks come in send order with rising offsets
      local prev = last[r.md.partition]
      if prev then
        assert.is_true(r.md.offset > prev.md.offset)
        assert.is_true(r.i > prev.i)
      end
      last[r.md.partition] = r
    end
    p:close()
  end)

  it("runs callbacks only on the script's thread: in send, poll, flush and close", function()
    local topic = helper.topic("poll", 1)
    local p = helper.producer()
    local n = 0
    p:send { topic = topic, value = "x", on_delivery = function() n = n + 1 end }
    assert.are.equal(0, n) -- not yet: nobody polled
    local deadline = kprod.now() + 5000
    while n == 0 and kprod.now() < deadline do p:poll(100) end
    assert.are.equal(1, n)
    p:send { topic = topic, value = "y", on_delivery = function() n = n + 1 end }
    assert.is_true(p:close())
    assert.are.equal(2, n)
  end)

  it("isolates a callback that raises: the others still run, the error is counted", function()
    local topic = helper.topic("raise", 1)
    local p = helper.producer()
    local ok = 0
    for i = 1, 20 do
      p:send { topic = topic, value = tostring(i), on_delivery = function()
        if i % 2 == 0 then error("boom in callback") end
        ok = ok + 1
      end }
    end
    assert.is_true(p:flush())
    assert.are.equal(10, ok)
    assert.are.equal(10, p:metrics().hook_errors)
    p:close()
  end)

  it("lets a callback send again and poll (no report runs twice)", function()
    local topic = helper.topic("resend", 1)
    local p = helper.producer()
    local count = 0
    local function cb(err)
      assert(err == nil, err)
      count = count + 1
      if count < 10 then
        p:send { topic = topic, value = "again", on_delivery = cb }
        p:poll(0)
      end
    end
    p:send { topic = topic, value = "first", on_delivery = cb }
    while count < 10 do p:flush() end
    assert.are.equal(10, count)
    p:close()
    assert.are.equal(10, #helper.consume(topic))
  end)

  it("reports per-record failures through the callback and send's nil, msg, code", function()
    local topic = helper.topic("fail", 2)
    local p = helper.producer { ["max.request.size"] = 2000 }
    local cb_err, cb_md
    local ok, msg, code = p:send { topic = topic, value = ("x"):rep(5000),
      on_delivery = function(err, md) cb_err, cb_md = err, md end }
    assert.is_nil(ok)
    assert.matches("max.request.size=2000", msg)
    assert.are.equal(kprod.errors.MESSAGE_TOO_LARGE, code)
    assert.matches("max.request.size", cb_err)
    assert.are.equal("MESSAGE_TOO_LARGE", cb_md.error)
    ok, msg, code = p:send { topic = topic, partition = 7, value = "x" }
    assert.is_nil(ok)
    assert.matches("partition 7", msg)
    assert.are.equal(kprod.errors._UNKNOWN_PARTITION, code)
    assert.are.equal(2, p:metrics().rejected)
    p:close()
    ok, msg, code = p:send { topic = topic, value = "late" }
    assert.is_nil(ok)
    assert.matches("closed", msg)
    assert.are.equal(kprod.errors._DESTROY, code)
  end)

  it("honours an explicit partition", function()
    local topic = helper.topic("explicit", 4)
    local p = helper.producer()
    for i = 1, 20 do p:send { topic = topic, partition = 3, key = "k" .. i, value = "v" } end
    p:close()
    for _, r in ipairs(helper.consume(topic)) do assert.are.equal(3, r.partition) end
  end)

  it("accepts headers as a list of pairs, keeping order and duplicates", function()
    local topic = helper.topic("hdrlist", 1)
    local p = helper.producer()
    p:send { topic = topic, value = "v", headers = { { "a", "1" }, { "a", "2" }, { "b", "3" } } }
    p:close()
    assert.are.equal("a=1,a=2,b=3", helper.consume(topic)[1].headers)
  end)

  it("sends full batches at once and holds the last, partial one for linger.ms", function()
    local topic = helper.topic("linger-full", 1)
    local p = helper.producer { ["linger.ms"] = 60000, ["batch.size"] = 16384 }
    local n = 2000 -- about 13 full batches of ~148 records, and a partial one
    for i = 1, n do
      assert.is_true(p:send { topic = topic, key = "k", value = ("%06d "):format(i) .. ("x"):rep(93) })
    end
    local deadline = kprod.now() + 30000
    while p:metrics().acked < 1800 and kprod.now() < deadline do p:poll(100) end
    local early = p:metrics().acked
    assert.is_true(early >= 1800, "full batches acknowledged before linger.ms: " .. early)
    assert.is_true(early < n, "the partial batch waits for linger.ms or a flush: " .. early)
    assert.is_true(p:flush())
    assert.are.equal(n, p:metrics().acked)
    assert.is_true(p:close())
    local got = helper.consume(topic)
    assert.are.equal(n, #got)
    for i, r in ipairs(got) do assert.are.equal(("%06d "):format(i) .. ("x"):rep(93), r.value) end
  end)

  it("compresses full batches on its compression threads, read back intact and in order", function()
    local topic = helper.topic("sealer", 2)
    local p = helper.producer { ["compression.type"] = "zstd", ["batch.size"] = 4096,
      ["kprod.compression.threads"] = 2, ["linger.ms"] = 50 }
    local n = 20000
    for i = 1, n do
      assert.is_true(p:send { topic = topic, key = "k" .. (i % 7), value = ("%06d "):format(i) .. ("x"):rep(i % 200) })
    end
    assert.is_true(p:flush())
    local m = p:metrics()
    assert.are.equal(n, m.acked)
    assert.is_true(m.batches_compressed_by_threads > 0, m.batches_compressed_by_threads)
    assert.is_true(m.batches_compressed_by_threads <= m.batches)
    p:close()
    local got = helper.consume(topic)
    assert.are.equal(n, #got)
    local last = {}
    for _, r in ipairs(got) do
      local i = tonumber(r.value:sub(1, 6))
      assert.are.equal(("%06d "):format(i) .. ("x"):rep(i % 200), r.value)
      assert.are.equal("k" .. (i % 7), r.key)
      assert.is_true(i > (last[r.key] or 0), "order of " .. r.key)
      last[r.key] = i
    end
  end)

  it("has metrics with the documented counters", function()
    local p = helper.producer()
    local m = p:metrics()
    for _, k in ipairs { "sent", "acked", "failed", "retried", "batches", "bytes", "inflight",
      "buffer_bytes", "outstanding", "dropped", "fanned_out", "hook_errors", "rejected",
      "partition_inflight_max", "gap_retries", "batches_compressed_by_threads", "backlog_waits" } do
      assert.is_number(m[k], k)
    end
    p:close()
    assert.is_number(p:metrics().acked) -- still readable after close
  end)

  it("flush times out with nil, msg, code when a broker does not answer", function()
    local topic = helper.topic("flushto", 1)
    local p = helper.producer { ["request.timeout.ms"] = 60000, ["delivery.timeout.ms"] = 120000 }
    assert.is_true(p:flush())
    if not helper.fault("rtt 1 3000") then pending("needs a mock peer") return end
    helper.fault("rtt 2 3000"); helper.fault("rtt 3 3000")
    p:send { topic = topic, value = "slow" }
    local ok, msg, code = p:flush(100)
    helper.fault("rtt 1 0"); helper.fault("rtt 2 0"); helper.fault("rtt 3 0")
    assert.is_nil(ok)
    assert.matches("outstanding", msg)
    assert.are.equal(kprod.errors._TIMED_OUT, code)
    assert.is_true(p:close())
  end)

  it("returns nil, msg, code when the producer cannot start", function()
    local p, msg, code = kprod.producer {}
    assert.is_nil(p)
    assert.matches("bootstrap.servers is not set", msg)
    assert.are.equal(kprod.errors._INVALID_ARG, code)
  end)

  describe("bad arguments raise errors that name the field", function()
    local p
    setup(function() p = helper.producer() end)
    teardown(function() p:close() end)
    local cases = {
      { { value = "x" }, "send: 'topic' must be a non%-empty string" },
      { { topic = 5 }, "send: 'topic' must be" },
      { { topic = "t", key = 5 }, "send: 'key' must be a string or nil" },
      { { topic = "t", value = {} }, "send: 'value' must be a string, a kprod.blob slice or nil" },
      { { topic = "t", partition = -2 }, "send: 'partition' must be" },
      { { topic = "t", partition = 1.5 }, "send: 'partition' must be" },
      { { topic = "t", timestamp = "now" }, "send: 'timestamp' must be" },
      { { topic = "t", headers = "h" }, "send: 'headers' must be a table" },
      { { topic = "t", headers = { h = 1 } }, "send: 'headers' value of 'h' must be a string" },
      { { topic = "t", on_delivery = 1 }, "send: 'on_delivery' must be a function" },
    }
    for _, c in ipairs(cases) do
      it(c[2], function()
        local ok, err = pcall(p.send, p, c[1])
        assert.is_false(ok)
        assert.matches(c[2], err)
      end)
    end
    it("send: expected a record table", function()
      assert.has_error(function() p:send("x") end, "send: expected a record table, got string")
    end)
    it("the error points at the caller's line", function()
      local ok, err = pcall(function() p:send { topic = 1 } end)
      assert.is_false(ok)
      assert.matches("producer_spec.lua:%d+: send:", err)
    end)
    it("producer: unknown property with a suggestion", function()
      assert.has_error(function() kprod.producer { ["linger.msx"] = 5 } end)
      local ok, err = pcall(kprod.producer, { ["linger.msx"] = 5 })
      assert.matches("linger.ms", err)
    end)
    it("producer: a property of the wrong type", function()
      local ok, err = pcall(kprod.producer, { ["linger.ms"] = {} })
      assert.matches("producer: 'linger.ms' must be a string, number or boolean", err)
      ok, err = pcall(kprod.producer, { ["linger.ms"] = -5 })
      assert.matches("linger.ms", err)
    end)
    it("producer: unknown partitioner name", function()
      local ok, err = pcall(kprod.producer, { partitioner = "nope" })
      assert.matches("'partitioner' must be a function or one of", err)
    end)
    it("producer: a transform that is not a function", function()
      local ok, err = pcall(kprod.producer, { transform = { 1 } })
      assert.matches("'transform' entry 1 must be a function", err)
    end)
    it("poll/flush/close: timeout must be a number", function()
      assert.has_error(function() p:poll("x") end, "poll: timeout must be a number of ms, got string")
    end)
    it("sleep: 'ms' must be a number", function()
      assert.has_error(function() kprod.sleep("x") end, "sleep: 'ms' must be a number, got string")
    end)
  end)

  it("kprod.now is monotonic milliseconds and kprod.sleep sleeps", function()
    local t0 = kprod.now()
    kprod.sleep(20)
    local dt = kprod.now() - t0
    assert.is_true(dt >= 19 and dt < 1000, tostring(dt))
  end)

  it("kprod.defaults fills properties a producer does not set", function()
    kprod.defaults { ["bootstrap.servers"] = helper.peer().bootstrap }
    local p = assert(kprod.producer {})
    local topic = helper.topic("defaults", 1)
    assert.is_true(p:send { topic = topic, value = "x" })
    assert.is_true(p:close())
    kprod.defaults {}
  end)
end)
