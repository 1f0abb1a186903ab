-- scenario_spec.lua — `kprod run` load-test scenarios against the peer:
-- pacing accuracy, coordinated-omission-corrected latency, warmup, stages,
-- hooks, the JSON result, merging instances, SIGINT and bad settings.
local helper = require "helper"
local json = require "kprod.json"
local hdr = require "kprod.hdr"

local kprod_bin = helper.kprod_bin

local function tmpfile(suffix, text)
  local path = os.tmpname() .. suffix
  if text then
    local f = assert(io.open(path, "w"))
    f:write(text)
    f:close()
  end
  return path
end

local function read_json(path)
  local f = assert(io.open(path))
  local v = json.decode(f:read("*a"))
  f:close()
  return v
end

-- Runs a scenario script against the peer; returns status, output, result.
local function run(text, flags)
  local s, out = tmpfile(".lua", text), tmpfile(".json")
  local status, output = helper.run(("%s run %s -b '%s' --quiet --json %s %s"):format(
    kprod_bin, s, helper.peer().bootstrap, out, flags or ""))
  local ok, result = pcall(read_json, out)
  os.remove(s)
  os.remove(out)
  return status, output, ok and result or nil
end

local BASIC = [[
scenario = { topic = TOPIC, producer = { ["linger.ms"] = 2 } }
function message(worker, seq) return { key = "k" .. seq % 97, value = "v" .. seq } end
]]

local function basic(topic) return (BASIC:gsub("TOPIC", ("%q"):format(topic))) end

-- Runs the basic scenario on a new topic with flags; asserts exit 0 and that
-- all `n` measured records were sent and acked. Returns the result, output, topic.
local function run_basic(prefix, partitions, flags, n)
  local topic = helper.topic(prefix, partitions)
  local status, out, r = run(basic(topic), flags)
  assert.are.equal(0, status, out)
  assert.are.equal(n, r.records.sent, out)
  assert.are.equal(n, r.records.acked, out)
  assert.are.equal(0, r.records.failed, out)
  return r, out, topic
end

describe("kprod run with a scenario", function()
  it("keeps the target rate within 1% and counts every record", function()
    local r, out, topic = run_basic("scn-rate", 4, "--rate 2000 --duration 3s --workers 2", 6000)
    local total = 0
    for _, n in pairs(r.partitions[topic]) do total = total + n end
    assert.are.equal(6000, total)
    if helper.valgrind then return pending("rate and duration: timing under valgrind is not meaningful") end
    assert.is_true(math.abs(r.throughput.records_per_sec - 2000) <= 20, out)
    assert.is_true(math.abs(r.duration_s - 3) < 0.03, out)
  end)

  it("measures latency from the intended send time: a generator stall shows, send-to-ack hides it", function()
    local topic = helper.topic("scn-co", 4)
    local status, out, r = run(basic(topic):gsub("function message%(worker, seq%)",
      "function message(worker, seq) if seq == 1000 then require('kprod').sleep(400) end"),
      "--rate 1000 --duration 3s")
    assert.are.equal(0, status, out)
    assert.are.equal(3000, r.records.acked)
    -- 400 records were due during the stall: their latency counts from when they were due.
    assert.is_true(r.latency_ms.p99 >= 300, out)
    if helper.valgrind then return pending("send-to-ack p99: timing under valgrind is not meaningful") end
    assert.is_true(r.latency_stages_ms.uncorrected.p99 < 100, out)
  end)

  it("shows injected broker RTT in the corrected p99", function()
    if not helper.peer().mock then return pending("needs a mock peer for RTT injection") end
    local topic = helper.topic("scn-rtt", 3)
    local s, out = tmpfile(".lua", basic(topic)), tmpfile(".json")
    local log, rcfile = tmpfile(".out"), tmpfile(".rc")
    os.remove(rcfile)
    os.execute(("(%s run %s -b '%s' --quiet --json %s --rate 500 --duration 4s > %s 2>&1; echo $? > %s) &")
      :format(kprod_bin, s, helper.peer().bootstrap, out, log, rcfile))
    helper.kprod.sleep(1500)
    for id = 1, 3 do helper.fault(("rtt %d 400"):format(id)) end
    helper.kprod.sleep(1000)
    for id = 1, 3 do helper.fault(("rtt %d 0"):format(id)) end
    local deadline = helper.kprod.now() + 30000
    while not io.open(rcfile) and helper.kprod.now() < deadline do helper.kprod.sleep(100) end
    local r = read_json(out)
    for _, f in ipairs { s, out, log, rcfile } do os.remove(f) end
    assert.are.equal(2000, r.records.acked)
    assert.is_true(r.latency_ms.p99 >= 350, json.encode(r.latency_stages_ms))
    assert.is_true(r.latency_ms.p99 >= r.latency_stages_ms.uncorrected.p99)
  end)

  it("excludes the warmup from the results", function()
    local r, out = run_basic("scn-warm", 4, "--rate 1000 --warmup 1s --messages 1500", 1500)
    assert.are.equal(1000, r.warmup.sent)
    assert.are.equal(1500, r.latency_ms.count)
    -- 1.5 s as scheduled, longer only if a stall of the peer held the worker back.
    assert.is_true(r.duration_s > 1.49 and r.duration_s < 2.5, out)
  end)

  it("follows stages: ramps and steps as k6 does", function()
    local topic = helper.topic("scn-stages", 4)
    local status, out, r = run(basic(topic) .. [[
scenario.stages = { { duration = "1s", target = 1000 }, { duration = "1s", target = 1000 },
                    { duration = "0.5s", target = 0 } }
]], "--workers 3")
    assert.are.equal(0, status, out)
    -- 500 on the ramp up, 1000 at the plateau, 250 on the ramp down.
    assert.is_true(math.abs(r.records.sent - 1750) <= 3, out)
    assert.are.equal(r.records.sent, r.records.acked)
  end)

  it("runs setup, init, message, delivered and done, each once per what it is for", function()
    local topic = helper.topic("scn-hooks", 2)
    local status, out = run(([[
scenario = { topic = %q, messages = 300, rate = 1000, workers = 2 }
local kprod = require "kprod"
function setup(config) print("setup", config.topic == %q, config.workers) end
local me, delivered, failed = nil, 0, 0
function init(worker) me = worker end
function message(worker, seq)
  if seq %% 10 == 0 then return nil end                       -- skipped
  if seq %% 10 == 1 then return "just a value " .. seq end     -- a value string
  return { key = tostring(seq), headers = { n = tostring(seq) }, partition = seq %% 2 }
end
function delivered(worker, record, err, md)
  assert(worker == me and md.latency_ms >= 0 and md.seq >= 0)
  if err then failed = failed + 1 else delivered = delivered + 1 end
end
function done(summary)
  print("done", summary.records.sent, summary.records.skipped, summary.records.acked)
  return summary.records.acked == 270 and 7 or 1
end
]]):format(topic, topic))
    assert.are.equal(7, status, out)
    assert.matches("setup\ttrue\t2", out)
    assert.matches("done\t270\t30\t270", out)
  end)

  it("writes the whole result as JSON", function()
    local r, _, topic = run_basic("scn-json", 2, "--rate 500 --messages 200 --size 64", 200)
    for _, k in ipairs { "sent", "acked", "failed" } do assert.is_number(r.records[k]) end
    for _, k in ipairs { "records_per_sec", "bytes_per_sec" } do assert.is_number(r.throughput[k]) end
    for _, k in ipairs { "p50", "p90", "p99", "p999", "max" } do assert.is_number(r.latency_ms[k]) end
    for _, stage in ipairs { "total", "uncorrected", "queue", "wire" } do
      assert.is_number(r.latency_stages_ms[stage].p99, stage)
      assert.matches("^HISTF", r.histograms[stage])
    end
    assert.are.equal("table", type(r.errors))
    assert.are.equal(topic, r.config.topic)
    assert.are.equal(500, r.config.rate)
    local h = assert(hdr.decode(r.histograms.total))
    assert.are.equal(200, h:count())
    assert.are.equal(r.latency_ms.p99, h:percentile(99) / 1e3)
  end)

  it("runs flat out without a rate, and writes an HdrHistogram interval log", function()
    local hlog = tmpfile(".hlog")
    local r = run_basic("scn-flat", 4, "--messages 20000 --workers 2 --hdr-log " .. hlog, 20000)
    assert.are.equal(0, r.throughput.target_records_per_sec)
    local text = assert(io.open(hlog)):read("*a")
    os.remove(hlog)
    assert.matches("#%[Histogram log format version 1%.3%]", text)
    assert.matches('"StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"', text)
    local n = 0
    for line in text:gmatch("[^\n]+") do
      local hist = line:match("^[%d.]+,[%d.]+,[%d.]+,(HISTF%S+)$")
      if hist then n = n + assert(hdr.decode(hist)):count() end
    end
    -- Every measured record is in exactly one interval.
    assert.are.equal(20000, n)
  end)

  it("sends kprod.blob slices from message() by reference: read back intact", function()
    local topic = helper.topic("scn-blob", 3)
    -- Four slices of one blob (one under 512 bytes: copied), answered as the
    -- record's value (keyed by seq) or as the whole answer (no key).
    local status, out, r = run(([[
scenario = { topic = TOPIC, messages = 400, workers = 2, producer = { ["linger.ms"] = 2 } }
local kprod = require "kprod"
local slices
function init()
  local t = {}
  for i = 1, 3000 do t[i] = string.char(97 + (i * 7 + math.floor(i / 13)) % 26) end
  local b = kprod.blob(table.concat(t))
  slices = { b:sub(1, 700), b:sub(701, 2200), b:sub(2201, 2300), b:sub(-513) }
  b = nil
  collectgarbage()
end
function message(_, seq)
  local v = slices[seq % 4 + 1]
  if seq % 2 == 1 then return { key = tostring(seq), value = v } end
  return v
end
]]):gsub("TOPIC", ("%q"):format(topic)))
    assert.are.equal(0, status, out)
    assert.are.equal(400, r.records.acked, out)
    local t = {}
    for i = 1, 3000 do t[i] = string.char(97 + (i * 7 + math.floor(i / 13)) % 26) end
    local s = table.concat(t)
    local want = { s:sub(1, 700), s:sub(701, 2200), s:sub(2201, 2300), s:sub(-513) }
    local got = helper.consume(topic)
    assert.are.equal(400, #got)
    local keyless = {}
    for _, m in ipairs(got) do
      if m.key ~= "" then
        assert.are.equal(want[tonumber(m.key) % 4 + 1], m.value, "record " .. m.key)
      else
        keyless[m.value] = (keyless[m.value] or 0) + 1
      end
    end
    -- Even seqs 0..398 answered slices 1 and 3, 100 records each.
    assert.are.same({ [want[1]] = 100, [want[3]] = 100 }, keyless)
  end)

  it("fails a record whose message() value is of no usable type, naming the types it takes", function()
    local status, out, r = run(basic("t") .. [[
function message(worker, seq) return { value = seq % 2 == 0 and require("ffi").new("int", 1) or "x" } end
]], "--messages 10")
    assert.are.equal(0, status, out) -- failed records are counted, as in the test above
    assert.matches("'value' must be a string, a kprod.blob slice, nil %(%-%-size random bytes%) or false %(null%)", out)
    assert.are.equal(5, r.records.acked, out)
    assert.are.equal(5, r.errors._INVALID_ARG, out)
  end)

  -- message() runs in bursts of due records (lua/kprod/scenario_worker.lua):
  -- one that raises must cost its own record only, paced and flat out.
  for _, mode in ipairs { { "paced", "--rate 2000 --messages 200" }, { "flat out", "--messages 200" } } do
    it("loses only the record whose message() raises, " .. mode[1] .. ", and reads the rest back", function()
      local topic = helper.topic("scn-raise", 2)
      local status, out, r = run(([[
scenario = { topic = %q, producer = { ["linger.ms"] = 2 } }
function message(worker, seq)
  if seq %% 10 == 3 then error("no record for seq " .. seq) end
  return { key = tostring(seq), value = "v" .. seq }
end
]]):format(topic), mode[2])
      assert.are.equal(0, status, out)
      assert.are.equal(20, r.hook_errors, out)
      assert.are.equal(180, r.records.sent, out)
      assert.are.equal(180, r.records.acked, out)
      assert.matches("no record for seq 3", out)
      local got = helper.consume(topic)
      assert.are.equal(180, #got)
      local seen = {}
      for _, m in ipairs(got) do
        local seq = tonumber(m.key)
        assert.are.equal("v" .. m.key, m.value)
        assert.are_not.equal(3, seq % 10, "record " .. m.key)
        assert.is_nil(seen[seq], "record " .. m.key .. " twice")
        seen[seq] = true
      end
    end)
  end

  it("fails each bad record naming its field, and sends the good ones", function()
    local status, out, r = run(basic("t") .. [[
local bad = {
  { key = true },
  { value = "x", partition = 1.5 },
  { value = "x", timestamp = -1 },
  { value = "x", timestamp = 0/0 },
  { value = "x", timestamp = 1/0 },
  { value = "x", headers = "h" },
  { value = "x", headers = { { "a" } , "b" } },
  { value = "x", headers = { a = 1 } },
  { topic = false },
}
function message(worker, seq)
  return bad[seq % 10 + 1] or { key = "k", value = "v", headers = { { "a", "1" }, { "b" } } }
end
]], "--messages 100")
    assert.are.equal(0, status, out)
    assert.are.equal(90, r.records.failed, out)
    assert.are.equal(90, r.errors._INVALID_ARG, out)
    assert.are.equal(10, r.records.acked, out)
    for _, why in ipairs {
      "'key' must be a string or nil", "'partition' must be a partition number or nil",
      "'timestamp' must be milliseconds since the epoch or nil",
      "'headers' must be a table of name = value or a list of {name, value}",
      "'headers' list entries must be {name, value}", "'headers' names and values must be strings",
      "'topic' must be a non%-empty string",
    } do
      assert.matches("message%(%) returned a bad record: " .. why, out)
    end
  end)

  it("gives delivered() each default record (no message()) as its own table", function()
    local status, out, r = run(basic("t"):gsub("function message.-\n", "") .. [[
local seen, same = {}, 0
function delivered(worker, record, err, md)
  if seen[record] then same = same + 1 end
  seen[record] = true
  record.seen = true
end
function done(summary) print("same tables", same) end
]], "--messages 300 --size 32")
    assert.are.equal(0, status, out)
    assert.are.equal(300, r.records.acked, out)
    assert.matches("same tables\t0", out)
  end)

  it("counts failures by error name", function()
    local status, out, r = run(basic("t") .. [[
function message(worker, seq) return { topic = seq % 2 == 0 and "t" or "", value = "x" } end
]], "--rate 1000 --messages 100")
    assert.are.equal(0, status, out)
    assert.are.equal(50, r.records.failed)
    assert.are.equal(50, r.errors._INVALID_ARG)
    assert.matches("'topic' must be a non%-empty string", out)
  end)
end)

describe("kprod run --instance and kprod report", function()
  it("splits the records between instances; --merge adds them up", function()
    local topic = helper.topic("scn-inst", 4)
    local files = {}
    for i = 1, 2 do
      local s, out = tmpfile(".lua", basic(topic)), tmpfile(".json")
      local status, output = helper.run(("%s run %s -b '%s' --quiet --json %s --rate 1000 --messages 1000 --instance %d/2")
        :format(kprod_bin, s, helper.peer().bootstrap, out, i))
      assert.are.equal(0, status, output)
      assert.are.equal(500, read_json(out).records.sent)
      files[i] = out
      os.remove(s)
    end
    local merged = tmpfile(".json")
    local status, out = helper.run(("%s report --merge %s %s -o %s --plot %s.svg"):format(kprod_bin, files[1], files[2], merged, merged))
    assert.are.equal(0, status, out)
    local m = read_json(merged)
    assert.are.equal(1000, m.records.acked)
    assert.are.equal(2, m.instances)
    local union = assert(hdr.decode(read_json(files[1]).histograms.total)):add(assert(hdr.decode(read_json(files[2]).histograms.total)))
    assert.are.same(union:buckets(), assert(hdr.decode(m.histograms.total)):buckets())
    local svg = assert(io.open(merged .. ".svg")):read("*a")
    assert.matches("<svg", svg)
    assert.matches("<polyline", svg)
    status, out = helper.run(("%s report %s %s"):format(kprod_bin, files[1], files[2]))
    assert.are.equal(0, status, out)
    assert.matches("latency p99 ms", out)
    assert.matches("records/s", out)
    for _, f in ipairs { files[1], files[2], merged, merged .. ".svg" } do os.remove(f) end
  end)

  it("merges histograms exactly: the merge of two is the histogram of their union", function()
    local a, b, all = hdr.new(), hdr.new(), hdr.new()
    local rng = helper.kprod.random(7)
    for i = 1, 20000 do
      local v = math.floor(math.exp(rng:float() * math.log(3.6e9)))
      ;(i % 3 == 0 and a or b):record(v)
      all:record(v)
    end
    local paths = {}
    for i, h in ipairs { a, b } do
      paths[i] = tmpfile(".json", json.encode {
        records = { sent = h:count(), acked = h:count(), failed = 0 }, bytes = 0, duration_s = 1,
        throughput = { records_per_sec = h:count(), bytes_per_sec = 0 }, errors = {}, config = {},
        latency_ms = h:latency_ms(), histograms = { total = h:encode() },
      })
    end
    local merged = tmpfile(".json")
    local status, out = helper.run(("%s report --merge %s %s -o %s"):format(kprod_bin, paths[1], paths[2], merged))
    assert.are.equal(0, status, out)
    local m = read_json(merged)
    assert.are.equal(all:encode(), m.histograms.total)
    assert.are.same(all:latency_ms(), m.latency_ms)
    for _, f in ipairs { paths[1], paths[2], merged } do os.remove(f) end
  end)

  it("refuses files that are not results", function()
    local bad = tmpfile(".json", '{"x": 1}')
    local status, out = helper.run(("%s report %s"):format(kprod_bin, bad))
    assert.are.equal(1, status)
    assert.matches("not a kprod result", out)
    os.remove(bad)
  end)
end)

describe("kprod run on SIGINT", function()
  it("stops generating, flushes and still prints the summary and writes the JSON", function()
    local topic = helper.topic("scn-int", 2)
    local s, out, log = tmpfile(".lua", basic(topic)), tmpfile(".json"), tmpfile(".out")
    local pidfile = tmpfile(".pid")
    os.execute(("%s run %s -b '%s' --json %s --rate 500 --duration 60s > %s 2>&1 & echo $! > %s")
      :format(kprod_bin, s, helper.peer().bootstrap, out, log, pidfile))
    local pid = assert(io.open(pidfile)):read("*l")
    helper.kprod.sleep(helper.valgrind and 4500 or 1500) -- under valgrind kprod takes seconds to start
    os.execute("kill -INT " .. pid)
    local deadline = helper.kprod.now() + 20000
    while os.execute("kill -0 " .. pid .. " 2>/dev/null") == 0 and helper.kprod.now() < deadline do
      helper.kprod.sleep(50)
    end
    local text = assert(io.open(log)):read("*a")
    assert.matches("interrupted: stopping", text)
    assert.matches("records     sent %d+  acked %d+  failed 0", text)
    local r = read_json(out)
    assert.is_true(r.interrupted)
    assert.is_true(r.records.acked > 300 and r.records.acked == r.records.sent, text)
    for _, f in ipairs { s, out, log, pidfile } do os.remove(f) end
    if helper.valgrind then return pending("duration: timing under valgrind is not meaningful") end
    assert.is_true(r.duration_s > 1 and r.duration_s < 3, text)
  end)
end)

describe("kprod run refuses bad scenario settings", function()
  local cases = {
    { "--rate abc", "BASIC", "%-%-rate abc: 'rate' must be a positive number" },
    { "--rate 0", "BASIC", "'rate' must be a positive number" },
    { "--duration 5x", "BASIC", "'duration' must be a positive duration such as 30s" },
    { "--workers 0", "BASIC", "'workers' must be a whole number from 1 to 1024" },
    { "--instance 3/2", "BASIC", "'instance' must be I/N" },
    { "--messages 1.5", "BASIC", "'messages' must be a positive whole number" },
    { "--rate 10", "print('plain')", "needs a scenario script %(one that defines message%(%)" },
    { "", "scenario = { rate = -5 } function message() end", "scenario: 'rate' must be a positive number" },
    { "", "scenario = { rate = 10, duration = 1, colour = 'red' }", "unknown setting 'colour'" },
    { "", "scenario = { stages = { { duration = '1s', target = 'fast' } } }", "scenario.stages%[1%]%.target must be a rate" },
    { "", "scenario = { rate = 10, duration = 1, producer = { ['linger.ms'] = 'soon' } }", "scenario.producer: .*linger.ms" },
    { "", "scenario = { rate = 10 }", "the scenario never ends" },
  }
  for _, c in ipairs(cases) do
    it(("%s %s"):format(c[1], c[2]:sub(1, 40)), function()
      local text = c[2] == "BASIC" and basic("t") .. "scenario.duration = 1" or c[2]
      local status, out = run(text, c[1])
      assert.are.equal(2, status, out)
      assert.matches(c[3], out)
    end)
  end

  it("reports a failing init with its traceback and exits 1", function()
    local status, out = run(basic("t") .. "function init(w) error('no config for worker ' .. w.id) end", "--rate 10 --duration 1")
    assert.are.equal(1, status, out)
    assert.matches("init%(worker 1%) failed: .*no config for worker 1", out)
    assert.matches("stack traceback", out)
  end)
end)
