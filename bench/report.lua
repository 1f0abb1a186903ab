-- report.lua — turns scripts/bench's raw runs into the Markdown tables
-- (stdout) and the JSON results file: medians per cell, kprod/baseline ratios.
--
-- usage: luajit bench/report.lua META.tsv RUNS.txt OUT.json
-- META.tsv: NAME<TAB>VALUE lines. RUNS.txt: one run per line, name=value
-- fields: cell, phase (calibrate, flat, latency, ceiling, plan), who, rep, the
-- program's 'bench:' fields, kprod-bench-measure's and the mock's (mock_*).
local meta_path, runs_path, out_path = arg[1], arg[2], arg[3]
if not (meta_path and runs_path and out_path) then
  io.stderr:write("usage: luajit bench/report.lua META.tsv RUNS.txt OUT.json\n")
  os.exit(2)
end

local function read_lines(path)
  local f, err = io.open(path, "rb")
  if not f then io.stderr:write("report: ", err, "\n"); os.exit(1) end
  local lines = {}
  for l in f:lines() do lines[#lines + 1] = l end
  f:close()
  return lines
end

local meta = {}
for _, l in ipairs(read_lines(meta_path)) do
  local k, v = l:match("^([^\t]+)\t(.*)$")
  if k then meta[k] = k ~= "kprod_commit" and v:match("^%-?[%d.]+$") and tonumber(v) or v end
end

-- ---- runs, grouped by cell in the order they ran ----
local cells, by_cell, all_runs = {}, {}, {}
for _, l in ipairs(read_lines(runs_path)) do
  local r = {}
  for k, v in l:gmatch("([%w_]+)=(%S*)") do r[k] = tonumber(v) or v end
  local c = by_cell[r.cell]
  if not c then
    local size, codec, parts = tostring(r.cell):match("^(%d+)/(%w+)/(%d+)$")
    c = { value_bytes = tonumber(size), codec = codec, partitions = tonumber(parts), runs = {} }
    by_cell[r.cell] = c
    cells[#cells + 1] = c
  end
  if r.phase == "plan" then
    c.records_per_run = r.records_per_run or c.records_per_run
    c.pool_records = r.pool or c.pool_records
    c.latency_rate = r.latency_rate or c.latency_rate
  else
    r.ok = r.status == 0 and (r.failed or 0) == 0 and (r.acked or 0) > 0
    if r.acked and r.seconds and r.seconds > 0 then
      r.records_per_s = r.acked / r.seconds
      r.mb_per_s = (r.bytes or 0) / r.seconds / 1e6
      if r.wire_bytes then r.wire_mb_per_s = r.wire_bytes / r.seconds / 1e6 end
    end
    if r.user_s and r.acked and r.acked > 0 then
      r.cpu_s_per_million = (r.user_s + r.sys_s) / r.acked * 1e6
      r.peak_rss_mb = r.maxrss_kb / 1024
    end
    if r.mock_wall_s and r.mock_wall_s > 0 then
      r.mock_cpu_share = (r.mock_user_s + r.mock_sys_s) / r.mock_wall_s
    end
    c.runs[#c.runs + 1] = r
    all_runs[#all_runs + 1] = r
  end
end

local function median(t)
  if #t == 0 then return nil end
  table.sort(t)
  local n = #t
  return n % 2 == 1 and t[(n + 1) / 2] or (t[n / 2] + t[n / 2 + 1]) / 2
end

local METRICS = {
  flat = { "records_per_s", "mb_per_s", "cpu_s_per_million", "peak_rss_mb", "mock_cpu_share" },
  latency = { "p50_us", "p99_us", "p999_us", "achieved_rate", "cpu_s_per_million" },
  ceiling = { "records_per_s", "mb_per_s", "wire_mb_per_s", "mock_cpu_share" },
}

-- Medians of every metric over the successful runs of one phase and side.
local function summarize(c, phase, who)
  local s, values, ok, failed = {}, {}, 0, 0
  for _, r in ipairs(c.runs) do
    if r.phase == phase and r.who == who then
      if r.ok then
        ok = ok + 1
        for _, m in ipairs(METRICS[phase]) do
          if r[m] then values[m] = values[m] or {}; table.insert(values[m], r[m]) end
        end
      else
        failed = failed + 1
      end
    end
  end
  if ok + failed == 0 then return nil end
  for _, m in ipairs(METRICS[phase]) do s[m] = median(values[m] or {}) end
  s.runs, s.failed_runs = ok, failed
  return s
end

local function ratios(a, b, phase)
  if not (a and b) then return nil end
  local r = {}
  for _, m in ipairs(METRICS[phase]) do
    if a[m] and b[m] and b[m] ~= 0 then r[m] = a[m] / b[m] end
  end
  return r
end

for _, c in ipairs(cells) do
  c.flat = { kprod = summarize(c, "flat", "kprod"), baseline = summarize(c, "flat", "baseline") }
  c.flat.ratio = ratios(c.flat.kprod, c.flat.baseline, "flat")
  c.latency = { kprod = summarize(c, "latency", "kprod"), baseline = summarize(c, "latency", "baseline") }
  c.latency.ratio = ratios(c.latency.kprod, c.latency.baseline, "latency")
  c.ceilings = { replay = summarize(c, "ceiling", "replay"), loopback = summarize(c, "ceiling", "loopback") }
end

-- CPU the machine spent on anything but the benchmark's own runs and mocks
-- while it ran, as a share of all its cores: above a few percent, another
-- process competed with the runs and the figures are skewed.
do
  local ours = 0
  for _, r in ipairs(all_runs) do
    ours = ours + (r.user_s or 0) + (r.sys_s or 0) + (r.mock_user_s or 0) + (r.mock_sys_s or 0)
  end
  local busy, wall, cores = tonumber(meta.machine_busy_cpu_s), tonumber(meta.measured_wall_s), tonumber(meta.cores)
  if busy and wall and cores and wall > 0 then
    meta.other_processes_cpu_share = math.max(busy - ours, 0) / (wall * cores)
  end
end

-- ---- Markdown ----
local function rate(v)
  if not v then return "n/a" end
  if v >= 1e6 then return ("%.2fM"):format(v / 1e6) end
  if v >= 1e3 then return ("%.0fk"):format(v / 1e3) end
  return ("%.0f"):format(v)
end
local function num(fmt) return function(v) return v and fmt:format(v) or "n/a" end end
local function ms(v)
  if not v then return "n/a" end
  v = v / 1000
  return (v < 10 and "%.2f" or "%.1f"):format(v)
end
local function pct(v) return v and ("%.0f%%"):format(v * 100) or "n/a" end

local function side_by_side(group, metric, fmt)
  local a = group.kprod and group.kprod[metric]
  local b = group.baseline and group.baseline[metric]
  local r = group.ratio and group.ratio[metric]
  local s = fmt(a) .. " / " .. fmt(b)
  if r then s = s .. (" (%.2f×)"):format(r) end
  return s
end

local function cell_head(c)
  local size = c.value_bytes >= 1024 and ("%d KiB"):format(math.floor(c.value_bytes / 1024)) or ("%d B"):format(c.value_bytes)
  return ("| %s | %s | %d |"):format(size, c.codec, c.partitions)
end

local md = {}
local function say(s) md[#md + 1] = s end
local reps = meta.reps or "?"

say(("**Flat out** — kprod / baseline (ratio kprod ÷ baseline), median of %s runs each"):format(reps))
say("")
say("| value | codec | partitions | records/s | MB/s | CPU s per M records | peak RSS MB | mock CPU |")
say("|---|---|---:|---|---|---|---|---|")
for _, c in ipairs(cells) do
  local f = c.flat
  say(("%s %s | %s | %s | %s | %s |"):format(cell_head(c),
    side_by_side(f, "records_per_s", rate), side_by_side(f, "mb_per_s", num("%.1f")),
    side_by_side(f, "cpu_s_per_million", num("%.2f")), side_by_side(f, "peak_rss_mb", num("%.0f")),
    pct(f.kprod and f.kprod.mock_cpu_share) .. " / " .. pct(f.baseline and f.baseline.mock_cpu_share)))
end
say("")
say("**Fixed rate** (half the baseline's flat-out median) — send → acknowledgement latency in ms from each record's intended send time, kprod / baseline")
say("")
say("| value | codec | partitions | rate (records/s) | rate held | p50 | p99 | p99.9 |")
say("|---|---|---:|---:|---|---|---|---|")
for _, c in ipairs(cells) do
  local l = c.latency
  -- How much of the asked rate the sends kept: well below 100 % means that
  -- side could not keep up, and its percentiles are mostly queueing.
  local held = function(who)
    local a = l[who] and l[who].achieved_rate
    return a and c.latency_rate and pct(a / c.latency_rate) or "n/a"
  end
  say(("%s %s | %s / %s | %s | %s | %s |"):format(cell_head(c), rate(c.latency_rate), held("kprod"),
    held("baseline"), side_by_side(l, "p50_us", ms), side_by_side(l, "p99_us", ms), side_by_side(l, "p999_us", ms)))
end
say("")
say("**Ceilings** — (b) pre-encoded Produce requests replayed to the same mock, (a) the same request bytes over plain loopback TCP")
say("")
say("| value | codec | partitions | replay records/s | replay MB/s | mock CPU | loopback records/s | loopback MB/s (wire) | kprod, baseline as % of replay |")
say("|---|---|---:|---:|---:|---:|---:|---:|---|")
for _, c in ipairs(cells) do
  local rp, lb = c.ceilings.replay or {}, c.ceilings.loopback or {}
  local share = function(who)
    local s = c.flat[who]
    return s and s.records_per_s and rp.records_per_s and pct(s.records_per_s / rp.records_per_s) or "n/a"
  end
  say(("%s %s | %s | %s | %s | %s (%s) | %s, %s |"):format(cell_head(c), rate(rp.records_per_s),
    num("%.1f")(rp.mb_per_s), pct(rp.mock_cpu_share), rate(lb.records_per_s), num("%.0f")(lb.mb_per_s),
    num("%.0f")(lb.wire_mb_per_s), share("kprod"), share("baseline")))
end
say("")
say(("MB/s counts key + value bytes. CPU is user + system time of the producer process (getrusage), peak RSS its maximum resident set; mock CPU is the mock cluster's CPU time over its lifetime as a share of one core. kprod driven by `%s`; baseline: librdkafka %s. %s, %s cores, Linux %s; %s run, %s s."):format(
  meta.driver or "?", meta.librdkafka_version or "?", meta.cpu or "?", meta.cores or "?", meta.kernel or "?",
  meta.mode or "?", meta.duration_s or "?"))
local other = meta.other_processes_cpu_share
if other then
  say("")
  say(("Other processes used %.0f%% of the machine's CPU while this ran%s"):format(other * 100,
    other > 0.05 and ": **the figures are skewed; run again on a quiet machine**." or "."))
end
print(table.concat(md, "\n"))

-- ---- JSON ----
local function encode(v, indent)
  indent = indent or ""
  local t = type(v)
  if t == "nil" then return "null" end
  if t == "boolean" then return tostring(v) end
  if t == "number" then
    if v ~= v or v == math.huge or v == -math.huge then return "null" end
    if v % 1 == 0 and math.abs(v) < 2 ^ 53 then return ("%d"):format(v) end
    return ("%.6g"):format(v)
  end
  if t == "string" then
    return '"' .. v:gsub('[%c"\\]', function(ch)
      local named = { ['"'] = '\\"', ["\\"] = "\\\\", ["\n"] = "\\n", ["\t"] = "\\t", ["\r"] = "\\r" }
      return named[ch] or ("\\u%04x"):format(ch:byte())
    end) .. '"'
  end
  local inner = indent .. "  "
  if #v > 0 or next(v) == nil then
    if next(v) == nil then return "[]" end
    local parts = {}
    for i = 1, #v do parts[i] = inner .. encode(v[i], inner) end
    return "[\n" .. table.concat(parts, ",\n") .. "\n" .. indent .. "]"
  end
  local keys = {}
  for k in pairs(v) do keys[#keys + 1] = k end
  table.sort(keys)
  local parts = {}
  for _, k in ipairs(keys) do parts[#parts + 1] = inner .. encode(tostring(k)) .. ": " .. encode(v[k], inner) end
  return "{\n" .. table.concat(parts, ",\n") .. "\n" .. indent .. "}"
end

local doc_cells = {}
for i, c in ipairs(cells) do
  doc_cells[i] = {
    value_bytes = c.value_bytes, codec = c.codec, partitions = c.partitions,
    records_per_run = c.records_per_run, pool_records = c.pool_records, latency_rate = c.latency_rate,
    flat = c.flat, latency = c.latency, ceilings = c.ceilings,
  }
end
local doc = {
  about = "scripts/bench: kprod vs librdkafka on the embedded mock cluster; medians per cell, "
    .. "ratio = kprod / baseline; see bench/README.md",
  meta = meta,
  cells = doc_cells,
  runs = all_runs,
  markdown = table.concat(md, "\n"),
}
local f, err = io.open(out_path, "wb")
if not f then io.stderr:write("report: ", err, "\n"); os.exit(1) end
f:write(encode(doc), "\n")
f:close()
