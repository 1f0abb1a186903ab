-- replay_file.lua — replay a file of "key<TAB>value" lines to a topic,
-- optionally at a fixed rate. With no file, replays a generated sample.
-- Run: build/kprod run examples/replay_file.lua -- [FILE] [TOPIC] [RECORDS_PER_SEC]
local kprod = require "kprod"

local path, topic, rate = ...
topic = topic or "replay"
rate = tonumber(rate)

local generated = not path
if generated then -- make a sample: zipf-distributed users, templated JSON values
  path = os.tmpname()
  local users = kprod.keys.zipf { n = 500, s = 1.1, prefix = "user-", seed = 42 }
  local body = kprod.values.template('{"user":"{key}","seq":{seq},"amount":{rand:1000}}', { seed = 42 })
  local f = assert(io.open(path, "w"))
  for _ = 1, 5000 do
    local u = users()
    f:write(u, "\t", body(u), "\n")
  end
  f:close()
end

local p = assert(kprod.producer { ["linger.ms"] = 10 })
local lines = kprod.values.lines(path)
local sent, bad = 0, 0
local start = kprod.now()
for line in lines do
  local key, value = line:match("^([^\t]*)\t(.*)$")
  if key then
    assert(p:send { topic = topic, key = key, value = value })
    sent = sent + 1
    -- pace: never get ahead of sent/rate seconds
    if rate then
      local due = start + sent * 1000 / rate
      if due > kprod.now() then kprod.sleep(due - kprod.now()) end
      p:poll(0)
    end
  else
    bad = bad + 1
  end
end
assert(p:close())
if generated then os.remove(path) end
local m = p:metrics()
print(("replayed %d lines from %s to '%s' (%d acked, %d failed, %d malformed lines skipped)")
  :format(sent, path, topic, m.acked, m.failed, bad))
return m.acked == sent and 0 or 1
