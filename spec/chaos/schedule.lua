-- schedule.lua — the chaos suite's fault schedule: the same seed and profile always give the same list of timed mock control commands.
-- Run: build/kprod run spec/chaos/schedule.lua -b BROKERS -- SEED PROFILE SECONDS TOPIC PARTITIONS REQUEST_TIMEOUT_MS
--
-- Prints one line per command, "AT_MS TAB KIND TAB COMMAND", sorted by time:
--   setup          leader TOPIC P ID       placement before traffic (the mock's own is random)
--   storm:ERR      errors Produce ERR N    the next N Produce requests fail with a retriable ERR
--   leader-move    leader TOPIC P ID
--   broker-down    down ID                 (a recover line "up ID" follows)
--   drop           errors Produce _TRANSPORT N   the broker drops the connection
--   rtt-spike      rtt ID MS               MS past request.timeout.ms (a recover line "rtt ID 0" follows)
--   non-retriable  broker-errors 4 Produce TOPIC_AUTHORIZATION_FAILED N
--   cleanup        up all / rtt all 0      every fault over at 75% of the run, so the tail drains
-- Profiles (see spec/chaos/README.md for what each must hold):
--   strict        storms, leader moves, a broker down and up: no request is
--                 appended without its answer reaching the producer
--   unanswered    rtt spikes past request.timeout.ms and dropped connections (the
--                 mock appends, then the answer is late or lost), leader moves, storms
--   nonretriable  TOPIC_AUTHORIZATION_FAILED on broker 4, which alone leads the chosen
--                 partitions; storms, leader moves and drops elsewhere
--   pipelined     leader moves, a broker down and up, dropped connections, rtt
--                 spikes: faults that fail every request in flight on a
--                 connection (or none), never a request alone, so order holds
--                 with batches pipelined per partition even on this mock; every
--                 broker answers 25 ms late throughout (setup "rtt all 25", and
--                 recover and cleanup go back to it), so several batches of a
--                 partition are in flight at once
--   mixed         all of the above
-- The cluster has 4 brokers; faults land between 10% and 70% of the run.
local kprod = require "kprod"

local seed, profile, seconds, topic, partitions, request_timeout = ...
seed, seconds, partitions, request_timeout = tonumber(seed), tonumber(seconds), tonumber(partitions),
  tonumber(request_timeout)
if not (seed and profile and seconds and topic and partitions and request_timeout) then
  error("usage: schedule.lua SEED PROFILE SECONDS TOPIC PARTITIONS REQUEST_TIMEOUT_MS", 0)
end

local RETRIABLE = { "NOT_LEADER_OR_FOLLOWER", "REQUEST_TIMED_OUT", "NOT_ENOUGH_REPLICAS",
  "NOT_ENOUGH_REPLICAS_AFTER_APPEND", "NETWORK_EXCEPTION" }
local POISONED = 4 -- the broker non-retriable errors are pushed to
local PROFILES = {
  strict = { "storm", "storm", "leader-move", "leader-move", "broker-down" },
  unanswered = { "rtt-spike", "drop", "leader-move", "storm" },
  nonretriable = { "non-retriable", "storm", "leader-move", "drop" },
  pipelined = { "leader-move", "broker-down", "drop", "rtt-spike" },
  mixed = { "storm", "leader-move", "broker-down", "drop", "rtt-spike", "non-retriable" },
}
local kinds = PROFILES[profile]
if not kinds then error(("schedule.lua: unknown profile '%s' (strict, unanswered, nonretriable, pipelined, mixed)"):format(profile), 0) end
local poisoning = profile == "nonretriable" or profile == "mixed"

local rng = kprod.random(seed)
local total_ms = seconds * 1000
local lines = {}
local function at(ms, kind, fmt, ...) lines[#lines + 1] = { ms, #lines, kind, fmt:format(...) } end

-- Placement: with poisoning, partitions 0 and 1 (the chosen ones) alone on broker 4.
local leader, movable = {}, {}
for p = 0, partitions - 1 do
  if poisoning and p < 2 then
    leader[p] = POISONED
  else
    leader[p] = rng:int(1, poisoning and 3 or 4)
    movable[#movable + 1] = p
  end
  at(0, "setup", "leader %s %d %d", topic, p, leader[p])
end

-- A broker leading some movable partition (down or slow is then felt).
local function busy_broker()
  return leader[rng:pick(movable)]
end

-- The pipelined profile's round trip: long enough for several batches of a
-- partition to be in flight at once at the suite's rates.
local base_rtt = profile == "pipelined" and 25 or 0
if base_rtt > 0 then at(0, "setup", "rtt all %d", base_rtt) end

local busy_until = { ["broker-down"] = 0, ["rtt-spike"] = 0 } -- one of each at a time
local t, stop = total_ms * 0.1, total_ms * 0.7
while true do
  t = t + rng:int(300, 900)
  if t >= stop then break end
  local kind = rng:pick(kinds)
  if (busy_until[kind] or 0) > t then kind = "leader-move" end
  if kind == "storm" then
    local err = rng:pick(RETRIABLE)
    at(t, "storm:" .. err, "errors Produce %s %d", err, rng:int(3, 10))
  elseif kind == "leader-move" then
    local p = rng:pick(movable)
    local to = rng:int(1, poisoning and 2 or 3)
    if to >= leader[p] then to = to + 1 end -- any broker but the current leader
    leader[p] = to
    at(t, kind, "leader %s %d %d", topic, p, to)
  elseif kind == "broker-down" then
    local b, lasts = busy_broker(), rng:int(800, 2500)
    at(t, kind, "down %d", b)
    at(t + lasts, "recover", "up %d", b)
    busy_until[kind] = t + lasts + 300
  elseif kind == "drop" then
    at(t, kind, "errors Produce _TRANSPORT %d", rng:int(1, 2))
  elseif kind == "rtt-spike" then
    local b, lasts = busy_broker(), rng:int(1500, 3000)
    at(t, kind, "rtt %d %d", b, request_timeout + 1000)
    at(t + lasts, "recover", "rtt %d %d", b, base_rtt)
    busy_until[kind] = t + lasts + 300
  elseif kind == "non-retriable" then
    at(t, kind, "broker-errors %d Produce TOPIC_AUTHORIZATION_FAILED %d", POISONED, rng:int(1, 2))
  end
end
at(total_ms * 0.75, "cleanup", "up all")
at(total_ms * 0.75, "cleanup", "rtt all %d", base_rtt)

table.sort(lines, function(a, b) return a[1] < b[1] or (a[1] == b[1] and a[2] < b[2]) end)
for _, l in ipairs(lines) do io.write(("%d\t%s\t%s\n"):format(l[1], l[3], l[4])) end
