-- kprod/json.lua — a small JSON encoder (sorted keys, readable indentation)
-- and decoder for kprod's reports; no dependency beyond LuaJIT.
local M = {}

local concat, format, type, pairs, tostring = table.concat, string.format, type, pairs, tostring

local escapes = { ['"'] = '\\"', ["\\"] = "\\\\", ["\b"] = "\\b", ["\f"] = "\\f",
  ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t" }

local function quote(s)
  return '"' .. s:gsub('[%c"\\]', function(c)
    return escapes[c] or format("\\u%04x", c:byte())
  end) .. '"'
end

local function number(v)
  if v ~= v or v == math.huge or v == -math.huge then return "null" end
  if v % 1 == 0 and v > -2^53 and v < 2^53 then return format("%d", v) end
  return format("%.17g", v)
end

-- A table is an array when its keys are exactly 1..n (n > 0).
local function is_array(t)
  local n = #t
  if n == 0 then return false end
  local count = 0
  for _ in pairs(t) do count = count + 1 end
  return count == n
end

local function encode(v, indent, out)
  local t = type(v)
  if t == "nil" then out[#out + 1] = "null"
  elseif t == "boolean" then out[#out + 1] = tostring(v)
  elseif t == "number" then out[#out + 1] = number(v)
  elseif t == "string" then out[#out + 1] = quote(v)
  elseif t == "table" then
    local inner = indent .. "  "
    if is_array(v) then
      -- Arrays of numbers or of small flat tables stay on one line each.
      out[#out + 1] = "["
      for i = 1, #v do
        out[#out + 1] = (i > 1 and ",\n" or "\n") .. inner
        encode(v[i], inner, out)
      end
      out[#out + 1] = "\n" .. indent .. "]"
    else
      local keys = {}
      for k in pairs(v) do keys[#keys + 1] = tostring(k) end
      table.sort(keys)
      if #keys == 0 then out[#out + 1] = "{}" return end
      out[#out + 1] = "{"
      for i, k in ipairs(keys) do
        local val = v[k]
        if val == nil then val = v[tonumber(k)] end
        out[#out + 1] = (i > 1 and ",\n" or "\n") .. inner .. quote(k) .. ": "
        encode(val, inner, out)
      end
      out[#out + 1] = "\n" .. indent .. "}"
    end
  else
    error("json: cannot encode a " .. t, 0)
  end
end

-- The JSON text of v (tables with keys 1..n are arrays, others objects).
function M.encode(v)
  local out = {}
  encode(v, "", out)
  return concat(out)
end

-- ---- decoding ----

local function decode_error(s, i, what)
  local line = select(2, s:sub(1, i):gsub("\n", "")) + 1
  error(format("json: %s at line %d (byte %d)", what, line, i), 0)
end

local decode_value

local function skip(s, i)
  return s:find("[^ \t\r\n]", i) or #s + 1
end

local function decode_string(s, i)
  local out, j = {}, i + 1
  while true do
    local k = s:find('["\\]', j)
    if not k then decode_error(s, i, "unterminated string") end
    out[#out + 1] = s:sub(j, k - 1)
    if s:sub(k, k) == '"' then return concat(out), k + 1 end
    local e = s:sub(k + 1, k + 1)
    if e == "u" then
      local code = tonumber(s:sub(k + 2, k + 5), 16)
      if not code then decode_error(s, k, "bad \\u escape") end
      if code < 0x80 then out[#out + 1] = string.char(code)
      elseif code < 0x800 then
        out[#out + 1] = string.char(0xc0 + math.floor(code / 64), 0x80 + code % 64)
      else
        out[#out + 1] = string.char(0xe0 + math.floor(code / 4096), 0x80 + math.floor(code / 64) % 64, 0x80 + code % 64)
      end
      j = k + 6
    else
      local map = { b = "\b", f = "\f", n = "\n", r = "\r", t = "\t", ['"'] = '"', ["\\"] = "\\", ["/"] = "/" }
      if not map[e] then decode_error(s, k, "bad escape") end
      out[#out + 1] = map[e]
      j = k + 2
    end
  end
end

function decode_value(s, i)
  i = skip(s, i)
  local c = s:sub(i, i)
  if c == "{" then
    local obj = {}
    i = skip(s, i + 1)
    if s:sub(i, i) == "}" then return obj, i + 1 end
    while true do
      if s:sub(i, i) ~= '"' then decode_error(s, i, "expected a string key") end
      local k
      k, i = decode_string(s, i)
      i = skip(s, i)
      if s:sub(i, i) ~= ":" then decode_error(s, i, "expected ':'") end
      obj[k], i = decode_value(s, i + 1)
      i = skip(s, i)
      local d = s:sub(i, i)
      if d == "}" then return obj, i + 1 end
      if d ~= "," then decode_error(s, i, "expected ',' or '}'") end
      i = skip(s, i + 1)
    end
  elseif c == "[" then
    local arr = {}
    i = skip(s, i + 1)
    if s:sub(i, i) == "]" then return arr, i + 1 end
    while true do
      arr[#arr + 1], i = decode_value(s, i)
      i = skip(s, i)
      local d = s:sub(i, i)
      if d == "]" then return arr, i + 1 end
      if d ~= "," then decode_error(s, i, "expected ',' or ']'") end
      i = i + 1
    end
  elseif c == '"' then
    return decode_string(s, i)
  elseif s:sub(i, i + 3) == "true" then return true, i + 4
  elseif s:sub(i, i + 4) == "false" then return false, i + 5
  elseif s:sub(i, i + 3) == "null" then return nil, i + 4
  else
    local num = s:match("^-?%d+%.?%d*[eE]?[-+]?%d*", i)
    if not num or num == "" or not tonumber(num) then decode_error(s, i, "unexpected character") end
    return tonumber(num), i + #num
  end
end

-- The value of a JSON text; raises "json: ... at line N" when it is not JSON.
function M.decode(s)
  local v, i = decode_value(s, 1)
  if skip(s, i) <= #s then decode_error(s, i, "trailing characters") end
  return v
end

return M
