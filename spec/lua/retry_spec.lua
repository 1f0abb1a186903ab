-- retry_spec.lua — retry policies under injected Produce errors: the ctx they
-- get, each decision (retry now, after a delay, fail, default), a policy that
-- fails, and what may cross into the sender thread's Lua state.
local helper = require "helper"
local kprod = helper.kprod
local ffi = require "ffi"

local NOT_LEADER = 6

-- Sends one record to a fresh 1-partition topic after injecting `errors`
-- NOT_LEADER_OR_FOLLOWER answers; returns the callback's err, md and the ms it took.
local function send_through_errors(props, errors)
  local topic = helper.topic("retry", 1)
  local all = { ["enable.idempotence"] = false, ["retry.backoff.ms"] = 1000, ["retry.backoff.max.ms"] = 1000 }
  for k, v in pairs(props) do all[k] = v end
  local p = helper.producer(all)
  assert(p:partition_count(topic))
  assert(helper.peer().mock:command(("errors 0 %d %d"):format(NOT_LEADER, errors)))
  local err, md
  local t0 = kprod.now()
  assert.is_true(p:send { topic = topic, value = "v", on_delivery = function(e, m) err, md = e, m end })
  assert.is_true(p:flush())
  local ms = kprod.now() - t0
  local m = p:metrics()
  p:close()
  return err, md, ms, m
end

describe("retry policy", function()
  before_each(function()
    if not helper.peer().mock then pending("needs a mock peer for fault injection") end
  end)

  it("gets topic, partition, attempt, error name and code, message, record count", function()
    if not helper.peer().mock then return end
    local path = os.tmpname()
    local err = send_through_errors({ retry = function(ctx)
      local f = io.open(path, "a")
      f:write(("%s %d %d %s %d %d %s\n"):format(ctx.topic:match("^retry") or "?", ctx.partition,
        ctx.attempt, ctx.error, ctx.code, ctx.record_count, tostring(ctx.retriable)))
      f:close()
      return "retry"
    end }, 2)
    assert.is_nil(err)
    local lines = {}
    for l in io.lines(path) do lines[#lines + 1] = l end
    os.remove(path)
    assert.same({ "retry 0 1 NOT_LEADER_OR_FOLLOWER 6 1 true", "retry 0 2 NOT_LEADER_OR_FOLLOWER 6 1 true" }, lines)
  end)

  it("\"retry\" retries at once, without the configured backoff", function()
    if not helper.peer().mock then return end
    local err, _, ms, m = send_through_errors({ retry = function() return "retry" end }, 3)
    assert.is_nil(err)
    assert.is_true(ms < 900, "took " .. ms .. " ms")
    assert.are.equal(3, m.retried)
  end)

  it("a number retries after that many ms", function()
    if not helper.peer().mock then return end
    local err, _, ms = send_through_errors({ retry = function(ctx) return 150 * ctx.attempt end }, 2)
    assert.is_nil(err)
    assert.is_true(ms >= 440 and ms < 1500, "took " .. ms .. " ms") -- 150 + 300
  end)

  it("\"fail\" fails the batch with its error at once", function()
    if not helper.peer().mock then return end
    local err, md, ms, m = send_through_errors({ retry = function() return "fail" end }, 1)
    assert.matches("NOT_LEADER_OR_FOLLOWER", err)
    assert.are.equal("NOT_LEADER_OR_FOLLOWER", md.error)
    assert.is_true(ms < 900)
    assert.are.equal(1, m.failed)
  end)

  it("nil keeps Java's rule (retry.backoff.ms backoff)", function()
    if not helper.peer().mock then return end
    local err, _, ms = send_through_errors({ ["retry.backoff.ms"] = 300, ["retry.backoff.max.ms"] = 300,
      retry = function() return nil end }, 1)
    assert.is_nil(err)
    assert.is_true(ms >= 200, "took " .. ms .. " ms") -- KIP-580 jitter: 300 ms +-20%
  end)

  it("keeps its upvalues' state across calls in the sender's Lua state", function()
    if not helper.peer().mock then return end
    local calls = 0
    local err, md = send_through_errors({ retry = function()
      calls = calls + 1
      return calls < 3 and "retry" or "fail"
    end }, 3)
    assert.matches("NOT_LEADER_OR_FOLLOWER", err)
    assert.are.equal(0, calls) -- the script's copy never changes
  end)

  it("fails the batch with a clear, counted error when the policy raises", function()
    if not helper.peer().mock then return end
    local err, _, _, m = send_through_errors({ retry = function() error("policy bug") end }, 1)
    assert.matches("NOT_LEADER_OR_FOLLOWER", err)
    assert.are.equal(1, m.hook_errors)
  end)

  it("fails the batch when the policy answers something else", function()
    if not helper.peer().mock then return end
    local err, _, _, m = send_through_errors({ retry = function() return "maybe" end }, 1)
    assert.matches("NOT_LEADER_OR_FOLLOWER", err)
    assert.are.equal(1, m.hook_errors)
  end)

  it("copies helper functions, tables and modules it uses", function()
    if not helper.peer().mock then return end
    local limits = { max_attempts = 5, delays = { 10, 20, 30 } }
    local function delay_for(attempt) return limits.delays[attempt] or 50 end
    local err = send_through_errors({ retry = function(ctx)
      assert(kprod.now() > 0)
      if ctx.attempt > limits.max_attempts then return "fail" end
      return delay_for(ctx.attempt)
    end }, 3)
    assert.is_nil(err)
  end)
end)

describe("retry policy arguments", function()
  it("must be a Lua function", function()
    local ok, err = pcall(kprod.producer, { retry = 5 })
    assert.matches("'retry' must be a function", err)
    ok, err = pcall(kprod.producer, { ["bootstrap.servers"] = "127.0.0.1:1", retry = string.format })
    assert.matches("not a C function", err)
  end)
  it("refuses upvalues that cannot cross threads, naming them", function()
    local handle = ffi.new("int[1]")
    local ok, err = pcall(kprod.producer, { ["bootstrap.servers"] = "127.0.0.1:1",
      retry = function() return handle[0] end })
    assert.is_false(ok)
    assert.matches("upvalue 'handle' is a cdata", err)
    local co = coroutine.create(print)
    ok, err = pcall(kprod.producer, { ["bootstrap.servers"] = "127.0.0.1:1",
      retry = function() return co end })
    assert.matches("upvalue 'co' is a thread", err)
  end)
end)
