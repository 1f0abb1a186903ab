-- kprod/plot.lua — results as a hand-written SVG: latency by percentile
-- (HdrHistogram's plot: x = 1/(1-p) on a log scale) and throughput over time.
local hdr = require "kprod.hdr"

local M = {}
local format = string.format

local COLORS = { "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf" }
local W, H, PAD = 720, 300, 56

local function esc(s) return (tostring(s):gsub("&", "&amp;"):gsub("<", "&lt;"):gsub(">", "&gt;")) end

-- A panel at y offset top: axes, title, ticks; returns x(), y() mappers.
local function panel(out, top, title, xlabel, ylabel, ymax, xticks)
  local x0, y0, x1, y1 = PAD, top + H - 40, W - 20, top + 30
  out[#out + 1] = format('<text x="%d" y="%d" font-size="14" font-weight="bold">%s</text>', PAD, top + 18, esc(title))
  out[#out + 1] = format('<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#888"/>', x0, y1, x1 - x0, y0 - y1)
  out[#out + 1] = format('<text x="%d" y="%d" font-size="11" text-anchor="middle">%s</text>', (x0 + x1) / 2, y0 + 32, esc(xlabel))
  out[#out + 1] = format('<text x="14" y="%d" font-size="11" transform="rotate(-90 14 %d)" text-anchor="middle">%s</text>',
    (y0 + y1) / 2, (y0 + y1) / 2, esc(ylabel))
  for i = 0, 4 do
    local v = ymax * i / 4
    local y = y0 - (y0 - y1) * i / 4
    out[#out + 1] = format('<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#eee"/><text x="%d" y="%.1f" font-size="10" text-anchor="end">%.3g</text>',
      x0, y, x1, y, x0 - 4, y + 3, v)
  end
  for _, t in ipairs(xticks) do
    local x = x0 + (x1 - x0) * t[1]
    out[#out + 1] = format('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#eee"/><text x="%.1f" y="%d" font-size="10" text-anchor="middle">%s</text>',
      x, y1, x, y0, x, y0 + 14, esc(t[2]))
  end
  return function(fx) return x0 + (x1 - x0) * fx end, function(v) return y0 - (y0 - y1) * (ymax > 0 and v / ymax or 0) end
end

local function polyline(out, pts, color)
  out[#out + 1] = format('<polyline fill="none" stroke="%s" stroke-width="1.5" points="%s"/>', color, table.concat(pts, " "))
end

local NINES = 5 -- the percentile axis runs to 99.999%

-- Writes the SVG for results (named by names). true, or nil, message.
function M.write(path, results, names)
  local curves, ymax = {}, 0
  for i, r in ipairs(results) do
    local h, err = hdr.decode((r.histograms or {}).total or "")
    if not h then return nil, names[i] .. ": " .. err end
    local pts = {}
    for k = 0, NINES * 20 do
      local p = 100 * (1 - 10 ^ (-k / 20))
      local v = h:percentile(p) / 1e3
      pts[#pts + 1] = { k / (NINES * 20), v }
      if v > ymax then ymax = v end
    end
    curves[i] = pts
  end
  local out = { format('<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif">', W, 2 * H + 40),
    '<rect width="100%" height="100%" fill="white"/>' }
  local xt = {}
  for n, label in ipairs { "0%", "90%", "99%", "99.9%", "99.99%", "99.999%" } do xt[n] = { (n - 1) / NINES, label } end
  local X, Y = panel(out, 0, "Latency by percentile (intended send time to ack)", "percentile", "ms", ymax * 1.05, xt)
  for i, pts in ipairs(curves) do
    local s = {}
    for _, p in ipairs(pts) do s[#s + 1] = format("%.1f,%.1f", X(p[1]), Y(p[2])) end
    polyline(out, s, COLORS[(i - 1) % #COLORS + 1])
  end
  local tmax, rmax = 1, 0
  for _, r in ipairs(results) do
    for _, s in ipairs(r.timeline or {}) do
      tmax = math.max(tmax, s.t)
      rmax = math.max(rmax, s.records_per_sec)
    end
  end
  local tt = {}
  for k = 0, 4 do tt[#tt + 1] = { k / 4, format("%.0fs", tmax * k / 4) } end
  X, Y = panel(out, H + 20, "Throughput over time", "seconds after warmup", "records/s", rmax * 1.1, tt)
  for i, r in ipairs(results) do
    local s = {}
    for _, p in ipairs(r.timeline or {}) do s[#s + 1] = format("%.1f,%.1f", X(p.t / tmax), Y(p.records_per_sec)) end
    if #s > 0 then polyline(out, s, COLORS[(i - 1) % #COLORS + 1]) end
  end
  for i, name in ipairs(names) do
    out[#out + 1] = format('<text x="%d" y="%d" font-size="11" fill="%s">%s</text>', W - 200, 46 + 14 * i,
      COLORS[(i - 1) % #COLORS + 1], esc(name))
  end
  out[#out + 1] = "</svg>\n"
  local f, err = io.open(path, "w")
  if not f then return nil, "--plot: " .. err end
  f:write(table.concat(out, "\n"))
  f:close()
  return true
end

return M
