-- retry_policy.lua — decide retries yourself: retry NOT_LEADER errors at
-- once, back off linearly on others, give up after 5 attempts.
-- Run: build/kprod run examples/retry_policy.lua   (embedded cluster: it injects errors)
local kprod = require "kprod"

-- The policy runs on the producer's sender thread, in a Lua state of its
-- own: kprod copies the function there with its upvalues (numbers,
-- strings, tables, functions, modules). It sees ctx.topic, ctx.partition,
-- ctx.attempt, ctx.error ("NOT_LEADER_OR_FOLLOWER"), ctx.code, ctx.message,
-- ctx.record_count, and answers "retry", "fail", a delay in ms, or nil for
-- the Java default (retry.backoff.ms with KIP-580 exponential backoff).
local MAX_ATTEMPTS = 5
local function policy(ctx)
  if ctx.attempt > MAX_ATTEMPTS then return "fail" end
  if ctx.error == "NOT_LEADER_OR_FOLLOWER" then return "retry" end
  return 20 * ctx.attempt
end

-- A cluster of our own so we can inject errors into it.
local cluster = assert(kprod.mock_cluster { brokers = 3, topics = { payments = 3 } })
local p = assert(kprod.producer { ["bootstrap.servers"] = cluster.bootstrap, retry = policy })
assert(p:partition_count("payments"))

-- The next 2 Produce requests fail with NOT_LEADER_OR_FOLLOWER (code 6),
-- the 2 after them with REQUEST_TIMED_OUT (7): at most 4 failed attempts
-- per batch, so the policy's 5 attempts deliver everything.
assert(cluster:command("errors 0 6 2"))
assert(cluster:command("errors 0 7 2"))
local ok, failed = 0, 0
for i = 1, 10 do
  p:send { topic = "payments", key = "acct-" .. i, value = "amount=" .. i,
    on_delivery = function(err) if err then failed = failed + 1 else ok = ok + 1 end end }
end
p:flush()
print(("delivered %d, failed %d, retried %d record-attempts"):format(ok, failed, p:metrics().retried))
p:close()
cluster:close()
return ok == 10 and 0 or 1
