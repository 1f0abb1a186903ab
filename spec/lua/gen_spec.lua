-- gen_spec.lua — kprod.random and the traffic generators: determinism,
-- ranges and the shape of each distribution.
local helper = require "helper"
local kprod = helper.kprod

describe("kprod.random", function()
  it("is deterministic for a seed and differs between seeds", function()
    local a, b, c = kprod.random(7), kprod.random(7), kprod.random(8)
    local same, differ = true, false
    for _ = 1, 100 do
      local x, y, z = a:next(), b:next(), c:next()
      same = same and x == y
      differ = differ or x ~= z
    end
    assert.is_true(same)
    assert.is_true(differ)
  end)
  it("gives ints, floats and bytes in range", function()
    local r = kprod.random(1)
    for _ = 1, 1000 do
      local i, f = r:int(3, 5), r:float()
      assert.is_true(i >= 3 and i <= 5 and i % 1 == 0)
      assert.is_true(f >= 0 and f < 1)
    end
    assert.are.equal(13, #r:bytes(13))
    assert.has_error(function() r:int(5, 3) end, "random:int: expected lo <= hi")
  end)
end)

describe("kprod.keys", function()
  local function histogram(gen, n)
    local h = {}
    for _ = 1, n do local k = gen(); h[k] = (h[k] or 0) + 1 end
    return h
  end
  it("sequential counts up and wraps", function()
    local g = kprod.keys.sequential { prefix = "u", start = 1, n = 3 }
    assert.same({ "u1", "u2", "u3", "u1" }, { g(), g(), g(), g() })
  end)
  it("uniform uses every key about equally", function()
    local h = histogram(kprod.keys.uniform { n = 10, seed = 3 }, 10000)
    for i = 0, 9 do assert.is_true(h["key-" .. i] > 800 and h["key-" .. i] < 1200) end
  end)
  it("zipf ranks keys by 1/k^s", function()
    local h = histogram(kprod.keys.zipf { n = 100, s = 1.0, seed = 5 }, 50000)
    -- H(100) = 5.187: P(rank 1) = 0.193, P(rank 2) = 0.096
    assert.is_true(math.abs(h["key-0"] / 50000 - 0.193) < 0.01)
    assert.is_true(math.abs(h["key-1"] / 50000 - 0.096) < 0.01)
    assert.is_nil(h["key-100"])
  end)
  it("hotset sends the given fraction to the hot keys", function()
    local h = histogram(kprod.keys.hotset { n = 1000, hot = 10, fraction = 0.8, seed = 9 }, 20000)
    local hot = 0
    for i = 0, 9 do hot = hot + (h["key-" .. i] or 0) end
    assert.is_true(math.abs(hot / 20000 - 0.8) < 0.02)
  end)
  it("rejects bad options naming them", function()
    assert.has_error(function() kprod.keys.zipf { s = 0 } end, "keys.zipf: 's' (the exponent) must be > 0")
    assert.has_error(function() kprod.keys.uniform { n = 0 } end, "keys.uniform: 'n' must be a positive integer")
  end)
end)

describe("kprod.values", function()
  it("random makes values of the fixed or ranged size", function()
    local fixed, ranged = kprod.values.random { size = 64 }, kprod.values.random { min = 10, max = 20, seed = 2 }
    for _ = 1, 200 do
      assert.are.equal(64, #fixed())
      local n = #ranged()
      assert.is_true(n >= 10 and n <= 20)
    end
  end)
  it("template fills its placeholders", function()
    local t = kprod.values.template('{"user":"{key}","n":{seq},"r":{rand:10},"h":"{hex:6}"}', { seed = 4 })
    local v = t("alice")
    assert.matches('^{"user":"alice","n":1,"r":%d,"h":"%x%x%x%x%x%x"}$', v)
    assert.matches('"n":2,', t("bob"))
    assert.has_error(function() kprod.values.template("{nope}") end, "values.template: unknown placeholder {nope}")
  end)
  it("lines reads a file line by line, looping on request", function()
    local path = os.tmpname()
    local f = io.open(path, "w"); f:write("a\nb\n"); f:close()
    local once, loop = kprod.values.lines(path), kprod.values.lines(path, { loop = true })
    assert.same({ "a", "b" }, { once(), once() })
    assert.is_nil(once())
    assert.same({ "a", "b", "a" }, { loop(), loop(), loop() })
    os.remove(path)
    assert.has_error(function() kprod.values.lines("/no/such/file") end)
  end)
end)
