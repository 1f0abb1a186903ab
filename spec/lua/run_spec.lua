-- run_spec.lua — `kprod run`: script arguments, -b and -X defaults, the
-- embedded cluster, exit codes for load and runtime errors.
local helper = require "helper"

local function script(text)
  local path = os.tmpname() .. ".lua"
  local f = assert(io.open(path, "w"))
  f:write(text)
  f:close()
  return path
end

local kprod_bin = helper.kprod_bin

-- Runs `kprod run` on a script holding text; returns exit status and output.
local function run_script(text, args)
  local s = script(text)
  local status, out = helper.run(("%s run %s %s"):format(kprod_bin, s, args or ""))
  os.remove(s)
  return status, out, s
end

describe("kprod run", function()
  it("passes script arguments as ... and arg, and returns the script's number", function()
    local s = script('print(select("#", ...), table.concat({...}, ","), arg[0] ~= nil, arg[2]) return 3')
    local status, out = helper.run(("cd / && %s run %s -- x 'y z'"):format(kprod_bin, s))
    os.remove(s)
    assert.are.equal(3, status)
    assert.matches("2\tx,y z\ttrue\ty z", out)
  end)

  it("starts an embedded cluster without -b and closes open producers at the end", function()
    local status, out = run_script([[
      local kprod = require "kprod"
      local p = assert(kprod.producer{})
      local acked = 0
      for i = 1, 1000 do p:send{topic = "t", key = "k" .. i, value = "v", on_delivery = function(err) if not err then acked = acked + 1 end end} end
      p:flush()
      print("acked", acked)
    ]])
    assert.are.equal(0, status, out)
    assert.matches("acked\t1000", out)
  end)

  it("applies -b and -X as defaults for producers", function()
    local topic = helper.topic("run-defaults", 2)
    local status, out = run_script(([[
      local kprod = require "kprod"
      local p = assert(kprod.producer{})
      p:send{topic = %q, value = "hello"}
      assert(p:close())
    ]]):format(topic), ("-b '%s' -X compression.type=gzip -X linger.ms=2"):format(helper.peer().bootstrap))
    assert.are.equal(0, status, out)
    assert.are.equal("hello", helper.consume(topic)[1].value)
  end)

  it("stops with exit code 2 and file:line: message on a syntax error", function()
    local status, out, s = run_script("local x = \nlocal = 5\n")
    assert.are.equal(2, status)
    assert.matches(s:gsub("%p", "%%%0") .. ":2: ", out)
  end)

  it("stops with exit code 2 when the script cannot be read", function()
    local status, out = helper.run(("%s run /no/such/script.lua"):format(kprod_bin))
    assert.are.equal(2, status)
    assert.matches("cannot open /no/such/script.lua", out)
  end)

  it("exits 1 with the message and a traceback when the script raises", function()
    local status, out = run_script("local function f() error('oops') end\nf()\n")
    assert.are.equal(1, status)
    assert.matches(":1: oops", out)
    assert.matches("stack traceback", out)
  end)

  it("refuses a bad -X with exit code 2 naming the property", function()
    local status, out = helper.run(("%s run x.lua -X linger.msx=1"):format(kprod_bin))
    assert.are.equal(2, status)
    assert.matches("linger.ms", out)
  end)
end)
