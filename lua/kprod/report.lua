-- kprod/report.lua — `kprod report`: results side by side, merged across
-- instances (histograms added, never averaged), and plotted as SVG.
local hdr = require "kprod.hdr"
local result = require "kprod.result"

local M = {}
local format = string.format

local USAGE = [==[
usage: kprod report RESULT.json [RESULT.json ...] [--merge [-o OUT.json]] [--plot FILE.svg]

  (default)      print the results side by side, differences in % from the first
  --merge        combine the results of instances of one scenario (--instance I/N)
                 into one: counts summed, latency histograms merged; printed as
                 a summary, written to -o OUT.json when given
  --plot FILE    draw the latency percentile distribution and throughput over
                 time of each result (or of the merged one) as SVG
]==]

-- ---- merge ----

local function add_counts(dst, src)
  for k, v in pairs(src or {}) do
    if type(v) == "number" then dst[k] = (dst[k] or 0) + v
    elseif type(v) == "table" then dst[k] = add_counts(dst[k] or {}, v) end
  end
  return dst
end

-- Merges timelines second by second: rates add up, p99 is the worst instance's.
local function merge_timelines(results)
  local by_second, seconds = {}, {}
  for _, r in ipairs(results) do
    for _, s in ipairs(r.timeline or {}) do
      local t = math.floor(s.t + 0.5)
      local m = by_second[t]
      if not m then
        m = { t = t, sent_per_sec = 0, records_per_sec = 0, bytes_per_sec = 0, failed = 0, p50_ms = 0, p99_ms = 0 }
        by_second[t] = m
        seconds[#seconds + 1] = t
      end
      for _, k in ipairs { "sent_per_sec", "records_per_sec", "bytes_per_sec", "failed" } do m[k] = m[k] + (s[k] or 0) end
      m.p50_ms = math.max(m.p50_ms, s.p50_ms or 0)
      m.p99_ms = math.max(m.p99_ms, s.p99_ms or 0)
    end
  end
  table.sort(seconds)
  local out = {}
  for i, t in ipairs(seconds) do out[i] = by_second[t] end
  return out
end

-- One result from many: what N instances of a scenario did together.
-- Returns the merged result, or nil, message.
function M.merge(results)
  local first = results[1]
  local m = {
    kprod = first.kprod, config = first.config, started_at = first.started_at,
    records = {}, warmup = {}, errors = {}, partitions = {}, bytes = 0, hook_errors = 0,
    duration_s = 0, instances = 0, interrupted = false, histograms = { unit = "us", encoding = first.histograms.encoding },
    throughput = { target_records_per_sec = 0 }, latency_stages_ms = {},
  }
  local hists = {}
  for i, r in ipairs(results) do
    add_counts(m.records, r.records)
    add_counts(m.warmup, r.warmup)
    add_counts(m.errors, r.errors)
    add_counts(m.partitions, r.partitions)
    m.bytes = m.bytes + (r.bytes or 0)
    m.hook_errors = m.hook_errors + (r.hook_errors or 0)
    m.duration_s = math.max(m.duration_s, r.duration_s or 0)
    m.instances = m.instances + (r.instances or 1)
    m.interrupted = m.interrupted or r.interrupted or false
    m.started_at = math.min(m.started_at or math.huge, r.started_at or math.huge)
    m.throughput.target_records_per_sec = m.throughput.target_records_per_sec + ((r.throughput or {}).target_records_per_sec or 0)
    for name, text in pairs(r.histograms) do
      if name ~= "unit" and name ~= "encoding" then
        local h, err = hdr.decode(text)
        if not h then return nil, format("result %d: histogram '%s': %s", i, name, err) end
        if hists[name] then hists[name]:add(h) else hists[name] = h end
      end
    end
  end
  for name, h in pairs(hists) do
    m.histograms[name] = h:encode()
    m.latency_stages_ms[name] = h:latency_ms()
  end
  m.latency_ms = m.latency_stages_ms.total
  local secs = m.duration_s > 0 and m.duration_s or 1
  m.throughput.records_per_sec = m.records.acked / secs
  m.throughput.bytes_per_sec = m.bytes / secs
  m.throughput.sent_per_sec = m.records.sent / secs
  m.timeline = merge_timelines(results)
  return m
end

-- ---- side by side ----

local ROWS = {
  { "records sent", function(r) return r.records.sent end, "%.0f" },
  { "records acked", function(r) return r.records.acked end, "%.0f" },
  { "records failed", function(r) return r.records.failed end, "%.0f" },
  { "records/s", function(r) return r.throughput.records_per_sec end, "%.1f" },
  { "MB/s", function(r) return r.throughput.bytes_per_sec / 1e6 end, "%.3f" },
}
for _, p in ipairs(result.PERCENTILES) do
  ROWS[#ROWS + 1] = { "latency " .. p[2] .. " ms", function(r) return r.latency_ms[p[1]] end, "%.3f" }
end
for _, s in ipairs(result.STAGES) do
  if s[1] ~= "total" then
    ROWS[#ROWS + 1] = { s[1] .. " p99 ms", function(r) return ((r.latency_stages_ms or {})[s[1]] or {}).p99 end, "%.3f" }
  end
end

local function basename(path) return (path:gsub("^.*/", "")) end

function M.compare(results, names)
  local width = 16
  for _, n in ipairs(names) do width = math.max(width, #n + 2) end
  local out = { format("%-22s", "") }
  for _, n in ipairs(names) do out[#out + 1] = format("%" .. width + 10 .. "s", n) end
  local lines = { table.concat(out) }
  for _, row in ipairs(ROWS) do
    out = { format("%-22s", row[1]) }
    local base = row[2](results[1])
    for i, r in ipairs(results) do
      local v = row[2](r)
      local cell = v and format(row[3], v) or "-"
      local diff = ""
      if i > 1 and v and base and base ~= 0 then diff = format(" (%+.1f%%)", (v - base) / base * 100) end
      out[#out + 1] = format("%" .. width .. "s%-10s", cell, diff)
    end
    lines[#lines + 1] = table.concat(out)
  end
  return table.concat(lines, "\n")
end

-- ---- the command ----

function M.main(args)
  local files, merge, out_path, plot_path = {}, false, nil, nil
  local i = 1
  while i <= #args do
    local a = args[i]
    if a == "-h" or a == "--help" then io.stdout:write(USAGE) return 0
    elseif a == "--merge" then merge = true
    elseif a == "-o" or a == "--plot" then
      if not args[i + 1] then io.stderr:write("kprod report: ", a, " needs a file name\n") return 2 end
      if a == "-o" then out_path = args[i + 1] else plot_path = args[i + 1] end
      i = i + 1
    elseif a:sub(1, 1) == "-" then
      io.stderr:write("kprod report: unknown option '", a, "' (see --help)\n") return 2
    else files[#files + 1] = a end
    i = i + 1
  end
  if #files == 0 then io.stderr:write("kprod report: no result files given (see --help)\n") return 2 end
  if out_path and not merge then io.stderr:write("kprod report: -o goes with --merge\n") return 2 end
  local results, names = {}, {}
  for _, f in ipairs(files) do
    local r, err = result.read_json(f)
    if not r then io.stderr:write("kprod report: ", err, "\n") return 1 end
    results[#results + 1], names[#names + 1] = r, basename(f)
  end
  if merge then
    local m, err = M.merge(results)
    if not m then io.stderr:write("kprod report: ", err, "\n") return 1 end
    io.stdout:write(result.summary(m), "\n")
    if out_path then
      local ok, werr = result.write_json(m, out_path)
      if not ok then io.stderr:write("kprod report: ", werr, "\n") return 1 end
    end
    results, names = { m }, { "merged" }
  elseif #results == 1 then
    io.stdout:write(result.summary(results[1]), "\n")
  else
    io.stdout:write(M.compare(results, names), "\n")
  end
  if plot_path then
    local ok, err = require("kprod.plot").write(plot_path, results, names)
    if not ok then io.stderr:write("kprod report: ", err, "\n") return 1 end
  end
  return 0
end

return M
