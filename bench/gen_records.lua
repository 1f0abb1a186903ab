-- gen_records.lua — writes the benchmark's record pool: COUNT lines of
-- KEY<TAB>VALUE, VALUE half random (64 printable symbols) and half a phrase
-- repeated, so compressors have real work on both halves. Deterministic per SEED.
--
-- usage: luajit bench/gen_records.lua VALUE_SIZE COUNT SEED OUT_FILE
local ffi = require "ffi"

local size, count, seed, path = tonumber(arg[1]), tonumber(arg[2]), tonumber(arg[3]), arg[4]
if not (size and count and seed and path) or size < 2 or count < 1 then
  io.stderr:write("usage: luajit bench/gen_records.lua VALUE_SIZE COUNT SEED OUT_FILE\n")
  os.exit(2)
end

local ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
local PHRASE = "kprod benchmark payload, the repeated half of every value. "
local random_len = math.floor(size / 2)
local repeated = PHRASE:rep(math.ceil((size - random_len) / #PHRASE)):sub(1, size - random_len)

math.randomseed(seed)
local out, err = io.open(path, "wb")
if not out then
  io.stderr:write("gen_records: ", err, "\n")
  os.exit(1)
end
local buf = ffi.new("uint8_t[?]", random_len)
local alphabet = ffi.new("uint8_t[64]", ALPHABET)
for _ = 1, count do
  for i = 0, random_len - 1 do buf[i] = alphabet[math.random(0, 63)] end
  out:write(("%08x%08x"):format(math.random(0, 0x7fffffff), math.random(0, 0x7fffffff)), "\t",
    ffi.string(buf, random_len), repeated, "\n")
end
assert(out:close())
