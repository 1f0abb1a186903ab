-- kprod/result.lua — a scenario's result as people read it (the summary
-- `kprod run` prints) and as it is kept (`--json`).
local json = require "kprod.json"

local M = {}

local format = string.format

-- The latency rows of the summary: the stage key and what it measures.
M.STAGES = {
  { "total", "total (intended send to ack)" },
  { "uncorrected", "send call to ack" },
  { "queue", "queue (accumulator)" },
  { "wire", "wire (request to response)" },
}
M.PERCENTILES = { { "p50", "p50" }, { "p90", "p90" }, { "p99", "p99" }, { "p999", "p99.9" },
  { "p9999", "p99.99" }, { "max", "max" } }

local function sorted_keys(t, numeric)
  local keys = {}
  for k in pairs(t or {}) do keys[#keys + 1] = k end
  table.sort(keys, numeric and function(a, b) return tonumber(a) < tonumber(b) end or nil)
  return keys
end

-- The summary text of a result (a table as --json writes it).
function M.summary(r)
  local c = r.config or {}
  local out = {}
  local function line(...) out[#out + 1] = format(...) end
  local target = (c.rate or 0) > 0 and format("target %.0f records/s", r.throughput.target_records_per_sec or c.rate)
    or (#(c.stages or {}) > 0 and format("%d stages", #c.stages)) or "flat out"
  line("kprod scenario %s: %.1fs measured%s, %d worker%s%s, %s%s", c.script or "?", r.duration_s or 0,
    (c.warmup_s or 0) > 0 and format(" (after %.1fs warmup)", c.warmup_s) or "",
    c.workers or 1, (c.workers or 1) == 1 and "" or "s",
    (r.instances or 1) > 1 and format(" x %d instances", r.instances)
      or ((c.instances or 1) > 1 and format(", instance %d/%d", c.instance, c.instances) or ""),
    target, r.interrupted and " (interrupted)" or "")
  local rec = r.records
  line("  records     sent %d  acked %d  failed %d  skipped %d", rec.sent, rec.acked, rec.failed, rec.skipped or 0)
  line("  throughput  %.1f records/s  %.2f MB/s", r.throughput.records_per_sec, r.throughput.bytes_per_sec / 1e6)
  local head = { format("  %-30s", "latency (ms)") }
  for _, p in ipairs(M.PERCENTILES) do head[#head + 1] = format("%9s", p[2]) end
  out[#out + 1] = table.concat(head)
  for _, s in ipairs(M.STAGES) do
    local l = (r.latency_stages_ms or {})[s[1]]
    if l and (l.count or 0) > 0 then
      local row = { format("    %-28s", s[2]) }
      for _, p in ipairs(M.PERCENTILES) do row[#row + 1] = format("%9.2f", l[p[1]]) end
      out[#out + 1] = table.concat(row)
    end
  end
  local errs = {}
  for _, name in ipairs(sorted_keys(r.errors)) do errs[#errs + 1] = format("%s %d", name, r.errors[name]) end
  line("  errors      %s", #errs > 0 and table.concat(errs, ", ") or "none")
  if (r.hook_errors or 0) > 0 then line("  hook errors %d (see the messages above)", r.hook_errors) end
  for _, topic in ipairs(sorted_keys(r.partitions)) do
    local parts = {}
    for _, p in ipairs(sorted_keys(r.partitions[topic], true)) do
      parts[#parts + 1] = format("[%s] %d", p, r.partitions[topic][p])
    end
    line("  partitions  %s: %s", topic, table.concat(parts, "  "))
  end
  return table.concat(out, "\n")
end

-- Writes v as JSON to path. true, or nil, message.
function M.write_json(v, path)
  local f, err = io.open(path, "w")
  if not f then return nil, "--json: " .. err end
  f:write(json.encode(v), "\n")
  f:close()
  return true
end

-- Reads a result written by --json. The table, or nil, message.
function M.read_json(path)
  local f, err = io.open(path)
  if not f then return nil, err end
  local text = f:read("*a")
  f:close()
  local ok, v = pcall(json.decode, text)
  if not ok then return nil, path .. ": " .. v end
  if type(v) ~= "table" or type(v.records) ~= "table" or type(v.histograms) ~= "table" then
    return nil, path .. ": not a kprod result (no records or histograms)"
  end
  return v
end

-- `kprod run`'s end: the summary on stdout, and the JSON file when asked.
function M.finish(result, json_path)
  io.stdout:write(M.summary(result), "\n")
  io.stdout:flush()
  if json_path then return M.write_json(result, json_path) end
  return true
end

return M
