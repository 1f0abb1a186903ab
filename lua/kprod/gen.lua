-- kprod/gen.lua — traffic generators scripts combine: key distributions
-- (kprod.keys) and value makers (kprod.values). Each returns a function that
-- yields the next key or value; seeds make every run the same.
local random = require "kprod.random"

local floor, exp, log = math.floor, math.exp, math.log

local M = { keys = {}, values = {} }

local function options(fn, opts)
  if opts == nil then return {} end
  if type(opts) ~= "table" then error(fn .. ": expected a table of options", 3) end
  return opts
end

local function rng_of(opts)
  return opts.rng or random.new(opts.seed or 1)
end

local function positive(fn, name, v, default)
  v = v == nil and default or v
  if type(v) ~= "number" or v < 1 or v % 1 ~= 0 then
    error(("%s: '%s' must be a positive integer"):format(fn, name), 3)
  end
  return v
end

-- ---- keys: each yields prefix .. N ----

-- sequential{prefix = "key-", start = 1, n = nil}: start, start+1, ...
-- wrapping after n keys when n is given.
function M.keys.sequential(opts)
  opts = options("keys.sequential", opts)
  local prefix, start = opts.prefix or "key-", opts.start or 0
  local n = opts.n and positive("keys.sequential", "n", opts.n)
  local i = -1
  return function()
    i = i + 1
    if n and i == n then i = 0 end
    return prefix .. (start + i)
  end
end

-- uniform{n = 1000, prefix, seed | rng}: any of n keys, equally likely.
function M.keys.uniform(opts)
  opts = options("keys.uniform", opts)
  local n, prefix, rng = positive("keys.uniform", "n", opts.n, 1000), opts.prefix or "key-", rng_of(opts)
  return function() return prefix .. (rng:int(0, n - 1)) end
end

-- zipf{n = 1000, s = 1.0, prefix, seed | rng}: key k (0-based rank) with
-- probability proportional to 1/(k+1)^s, by rejection-inversion sampling
-- (Hörmann & Derflinger), O(1) memory for any n.
function M.keys.zipf(opts)
  opts = options("keys.zipf", opts)
  local n, prefix, rng = positive("keys.zipf", "n", opts.n, 1000), opts.prefix or "key-", rng_of(opts)
  local s = opts.s or opts.exponent or 1.0
  if type(s) ~= "number" or s <= 0 then error("keys.zipf: 's' (the exponent) must be > 0", 2) end
  local function helper1(x) -- log1p(x)/x
    if math.abs(x) > 1e-8 then return log(1 + x) / x end
    return 1 - x * (0.5 - x * (1 / 3 - 0.25 * x))
  end
  local function helper2(x) -- expm1(x)/x
    if math.abs(x) > 1e-8 then return (exp(x) - 1) / x end
    return 1 + x * 0.5 * (1 + x * (1 / 3) * (1 + 0.25 * x))
  end
  local function h(x) return exp(-s * log(x)) end
  local function hint(x)
    local lx = log(x)
    return helper2((1 - s) * lx) * lx
  end
  local function hint_inv(x)
    local t = x * (1 - s)
    if t < -1 then t = -1 end
    return exp(helper1(t) * x)
  end
  local hx1 = hint(1.5) - 1
  local hn = hint(n + 0.5)
  local shortcut = 2 - hint_inv(hint(2.5) - h(2))
  return function()
    while true do
      local u = hn + rng:float() * (hx1 - hn)
      local x = hint_inv(u)
      local k = floor(x + 0.5)
      if k < 1 then k = 1 elseif k > n then k = n end
      if k - x <= shortcut or u >= hint(k + 0.5) - h(k) then return prefix .. (k - 1) end
    end
  end
end

-- hotset{n = 1000, hot = 10, fraction = 0.9, prefix, seed | rng}: a share
-- `fraction` of draws among the first `hot` keys, the rest among the others.
function M.keys.hotset(opts)
  opts = options("keys.hotset", opts)
  local n = positive("keys.hotset", "n", opts.n, 1000)
  local hot = positive("keys.hotset", "hot", opts.hot, 10)
  local fraction = opts.fraction or 0.9
  if hot > n then error("keys.hotset: 'hot' must not exceed 'n'", 2) end
  if type(fraction) ~= "number" or fraction < 0 or fraction > 1 then
    error("keys.hotset: 'fraction' must be within 0..1", 2)
  end
  local prefix, rng = opts.prefix or "key-", rng_of(opts)
  return function()
    if hot == n or rng:float() < fraction then return prefix .. rng:int(0, hot - 1) end
    return prefix .. rng:int(hot, n - 1)
  end
end

-- ---- values ----

-- random{size = 100} or random{min = 10, max = 1000}: random bytes, sliced
-- from a pool generated once (seed | rng), so each value costs one string.
function M.values.random(opts)
  opts = options("values.random", opts)
  local min = opts.min or opts.size or 100
  local max = opts.max or opts.size or min
  if type(min) ~= "number" or type(max) ~= "number" or min < 0 or max < min then
    error("values.random: need size >= 0, or 0 <= min <= max", 2)
  end
  local rng = rng_of(opts)
  local pool_len = 65536
  local pool = rng:bytes(pool_len + max)
  return function()
    local size = min == max and min or rng:int(min, max)
    local at = rng:int(1, pool_len)
    return pool:sub(at, at + size - 1)
  end
end

-- template("user={key} n={seq} r={rand:100} t={time} h={hex:8}", {seed | rng}):
-- a function(key) filling the placeholders: {seq} counts from 1, {rand:N}
-- an integer 0..N-1, {hex:N} N random hex digits, {time} wall-clock ms,
-- {key} the argument. Unknown placeholders raise at creation.
function M.values.template(text, opts)
  if type(text) ~= "string" then error("values.template: 'text' must be a string", 2) end
  opts = options("values.template", opts)
  local rng = rng_of(opts)
  local parts, pos = {}, 1
  for s, name, arg, e in text:gmatch("(){(%a+):?(%d*)}()") do
    if s > pos then parts[#parts + 1] = text:sub(pos, s - 1) end
    if not (name == "seq" or name == "key" or name == "time" or name == "rand" or name == "hex") then
      error(("values.template: unknown placeholder {%s}"):format(name), 2)
    end
    parts[#parts + 1] = { name, tonumber(arg) or 0 }
    pos = e
  end
  if pos <= #text then parts[#parts + 1] = text:sub(pos) end
  local seq = 0
  local out = {}
  local hexdigits = "0123456789abcdef"
  return function(key)
    seq = seq + 1
    for i = 1, #parts do
      local p = parts[i]
      if type(p) == "string" then
        out[i] = p
      else
        local name, n = p[1], p[2]
        if name == "seq" then out[i] = seq
        elseif name == "key" then out[i] = tostring(key)
        elseif name == "time" then out[i] = ("%d"):format(os.time() * 1000)
        elseif name == "rand" then out[i] = rng:int(0, (n > 0 and n or 4294967296) - 1)
        else
          local h = {}
          for j = 1, n do
            local d = rng:int(1, 16)
            h[j] = hexdigits:sub(d, d)
          end
          out[i] = table.concat(h)
        end
      end
    end
    return table.concat(out, "", 1, #parts)
  end
end

-- lines(path, {loop = false}): the lines of a file, one per call; nil at
-- the end (or from the first line again with loop = true). Raises when the
-- file cannot be read.
function M.values.lines(path, opts)
  if type(path) ~= "string" then error("values.lines: 'path' must be a string", 2) end
  opts = options("values.lines", opts)
  local f, err = io.open(path, "rb")
  if not f then error("values.lines: " .. err, 2) end
  return function()
    local line = f:read("*l")
    if line == nil and opts.loop then
      f:seek("set", 0)
      line = f:read("*l")
    end
    return line
  end
end

return M
