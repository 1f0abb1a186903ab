-- transform_spec.lua — transformations: change, drop, fan out, lists applied
-- in order, metrics, and records failing cleanly when a transform fails.
local helper = require "helper"
local kprod = helper.kprod

local function values(topic)
  local out = {}
  for _, r in ipairs(helper.consume(topic)) do out[#out + 1] = r.value end
  table.sort(out)
  return out
end

describe("transform", function()
  it("may change a record (value, headers) and return it", function()
    local topic = helper.topic("tx-change", 1)
    local p = helper.producer { transform = function(r)
      r.value = r.value:upper()
      r.headers = { source = "lua" }
      return r
    end }
    assert.is_true(p:send { topic = topic, value = "hello" })
    p:close()
    local got = helper.consume(topic)
    assert.are.equal("HELLO", got[1].value)
    assert.are.equal("source=lua", got[1].headers)
  end)

  it("drops a record when it returns nil (or an empty list), counting drops", function()
    local topic = helper.topic("tx-drop", 1)
    local p = helper.producer { transform = function(r)
      local n = tonumber(r.value)
      if n % 3 == 0 then return nil end
      if n % 3 == 1 then return {} end
      return r
    end }
    local called = 0
    for i = 1, 30 do
      assert.is_true(p:send { topic = topic, value = tostring(i), on_delivery = function() called = called + 1 end })
    end
    p:flush()
    local m = p:metrics()
    assert.are.equal(20, m.dropped)
    assert.are.equal(10, m.sent)
    assert.are.equal(10, called) -- dropped records get no callback
    p:close()
    assert.are.equal(10, #helper.consume(topic))
  end)

  it("fans a record out to several topics, each with the original callback", function()
    local a, b = helper.topic("tx-fan-a", 1), helper.topic("tx-fan-b", 1)
    local p = helper.producer { transform = function(r)
      return { { topic = a, value = r.value }, { topic = b, key = r.key, value = r.value .. "!" } }
    end }
    local reports = {}
    assert.is_true(p:send { topic = "ignored", key = "k", value = "v", on_delivery = function(err, md)
      reports[#reports + 1] = md.topic
    end })
    p:flush()
    assert.are.equal(1, p:metrics().fanned_out)
    assert.are.equal(2, p:metrics().sent)
    p:close()
    table.sort(reports)
    assert.same({ a, b }, { reports[1], reports[2] })
    assert.same({ "v" }, values(a))
    assert.same({ "v!" }, values(b))
  end)

  it("applies a list in order, each step to every record the previous made", function()
    local topic = helper.topic("tx-list", 1)
    local trace = {}
    local p = helper.producer { transform = {
      function(r) trace[#trace + 1] = "1:" .. r.value; r.value = r.value .. "a"; return r end,
      function(r) trace[#trace + 1] = "2:" .. r.value
        return { { topic = r.topic, value = r.value .. "x" }, { topic = r.topic, value = r.value .. "y" } } end,
      function(r) trace[#trace + 1] = "3:" .. r.value; r.value = r.value .. "b"; return r end,
    } }
    assert.is_true(p:send { topic = topic, value = "v" })
    p:close()
    assert.same({ "1:v", "2:va", "3:vax", "3:vay" }, trace)
    assert.same({ "vaxb", "vayb" }, values(topic))
  end)

  it("fails the record with _TRANSFORM when a transform raises, reporting the error once", function()
    local topic = helper.topic("tx-error", 1)
    local p = helper.producer { transform = function(r)
      if r.value == "bad" then error("cannot transform this") end
      return r
    end }
    local errs = {}
    for i = 1, 5 do
      local ok, msg, code = p:send { topic = topic, value = "bad", on_delivery = function(err, md)
        errs[#errs + 1] = md.error
      end }
      assert.is_nil(ok)
      assert.matches("transform 1 failed: .*cannot transform this", msg)
      assert.are.equal(kprod.errors._TRANSFORM, code)
    end
    assert.is_true(p:send { topic = topic, value = "good" })
    assert.same({ "_TRANSFORM", "_TRANSFORM", "_TRANSFORM", "_TRANSFORM", "_TRANSFORM" }, errs)
    local m = p:metrics()
    assert.are.equal(5, m.hook_errors)
    assert.are.equal(5, m.rejected)
    p:close()
    assert.same({ "good" }, values(topic))
  end)

  it("fails (does not raise) a record a transform made badly", function()
    local p = helper.producer { transform = function(r) return { topic = 42 } end }
    local ok, msg, code = p:send { topic = "t", value = "v" }
    assert.is_nil(ok)
    assert.matches("transform produced a bad record: 'topic' must be", msg)
    assert.are.equal(kprod.errors._TRANSFORM, code)
    p = helper.producer { transform = function() return 7 end }
    ok, msg = p:send { topic = "t", value = "v" }
    assert.is_nil(ok)
    assert.matches("transform 1 returned a number", msg)
    p:close()
  end)
end)
