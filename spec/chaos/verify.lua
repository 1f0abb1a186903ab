-- verify.lua — the chaos suite's verdict: joins the producer's ledger with what kcat read back and prints one run's table.
-- Run: luajit spec/chaos/verify.lua LABEL PROFILE IDEMPOTENCE LEDGER READBACK FAULTS
--
-- LEDGER is chaos_producer.lua's, READBACK kcat's "partition TAB offset TAB
-- key TAB value" lines, FAULTS the controller's "AT_MS TAB KIND TAB COMMAND
-- TAB ANSWER" lines. Prints the table, then one "chaos: name=value ..." line
-- for scripts; exits 1 when a must-hold rule is broken (see README.md here).
--
-- Duplicates: librdkafka's mock checks sequence numbers only for
-- transactional producers, so a request it appended but whose answer came
-- too late (RTT past request.timeout.ms) or never (connection dropped with
-- _TRANSPORT: the mock appends, then closes) is appended again when
-- retried. Such a copy, earlier in the same partition than the
-- acknowledged one, in a run that had RTT spikes or drops, is counted as a
-- mock-duplicate; every other extra copy is a duplicate. A broker that
-- checks sequences drops those copies (the retry carries the same producer
-- id, epoch and sequence).
local label, profile, idempotence, ledger_path, readback_path, faults_path = ...
if not faults_path then
  error("usage: verify.lua LABEL PROFILE on|on-strict|off LEDGER READBACK FAULTS", 0)
end
local idempotent = idempotence == "on" or idempotence == "on-strict"
package.path = (arg[0]:match("^(.*)/") or ".") .. "/?.lua;" .. package.path
local record = require "chaos_record"

local function lines(path)
  local f = assert(io.open(path))
  return function()
    local l = f:read("*l")
    if not l then f:close() end
    return l
  end
end

-- The ledger: what the producer's callbacks said about each record.
local rec, n, metrics = {}, 0, ""
for l in lines(ledger_path) do
  if l:sub(1, 10) == "# metrics " then
    metrics = l:sub(11)
  else
    local i, key, p, o, calls, err = l:match("^(%d+)\t([^\t]*)\t(%-?%d+)\t(%-?%d+)\t(%d+)\t(.*)$")
    i = assert(tonumber(i), "verify.lua: malformed ledger line: " .. l)
    rec[i] = { key = key, partition = tonumber(p), offset = tonumber(o), calls = tonumber(calls),
      err = err ~= "-" and err or nil, copies = {} }
    if i > n then n = i end
  end
end

-- Fault kinds injected (recover/cleanup/setup lines are not faults), and
-- the partitions the setup placed on the broker non-retriable errors hit.
local faults, fault_kinds, appends_unanswered = {}, {}, false
local setup_leader, poisoned = {}, nil
for l in lines(faults_path) do
  local kind, cmd = l:match("^%d+\t([^\t]+)\t([^\t]*)")
  if kind == "setup" then
    local p, b = cmd:match("^leader %S+ (%d+) (%d+)$")
    if p then setup_leader[tonumber(p)] = tonumber(b) end
  elseif kind == "non-retriable" then
    poisoned = tonumber(cmd:match("^broker%-errors (%d+) "))
  end
  if kind and kind ~= "setup" and kind ~= "recover" and kind ~= "cleanup" then
    if not faults[kind] then fault_kinds[#fault_kinds + 1] = kind end
    faults[kind] = (faults[kind] or 0) + 1
    if kind == "rtt-spike" or kind == "drop" then appends_unanswered = true end
  end
end
table.sort(fault_kinds)

-- What kcat read back, partition by partition in offset order.
local parts, plist, corrupt, unknown = {}, {}, 0, 0
local function part(p)
  if not parts[p] then
    parts[p] = { acked = 0, failed = 0, in_log = 0, lost = 0, dup = 0, mock_dup = 0, reordered = 0, max = 0 }
    plist[#plist + 1] = p
  end
  return parts[p]
end
for l in lines(readback_path) do
  local p, o, key, value = l:match("^(%d+)\t(%d+)\t([^\t]*)\t(.*)$")
  local i = value and record.number(value)
  local r = i and rec[i]
  p, o = tonumber(p), tonumber(o)
  if not r then
    unknown = unknown + 1
  else
    if key ~= r.key or value ~= record.value(i, r.key) then corrupt = corrupt + 1 end
    local pp = part(p)
    pp.in_log = pp.in_log + 1
    if #r.copies == 0 then -- order is judged on first appearances
      if i < pp.max then pp.reordered = pp.reordered + 1 else pp.max = i end
    end
    r.copies[#r.copies + 1] = { p, o }
  end
end

local t = { sent = n, acked = 0, failed = 0, lost = 0, dup = 0, mock_dup = 0, reordered = 0,
  cb_missing = 0, cb_doubled = 0, ack_elsewhere = 0, failed_present = 0, failed_elsewhere = 0 }
local failed_by = {}
for i = 1, n do
  local r = rec[i]
  if not r then
    t.cb_missing = t.cb_missing + 1
  else
    if r.calls == 0 then t.cb_missing = t.cb_missing + 1 elseif r.calls > 1 then t.cb_doubled = t.cb_doubled + 1 end
    local pp = part(r.partition >= 0 and r.partition or -1)
    local acked_copy
    if r.calls > 0 and not r.err then
      t.acked, pp.acked = t.acked + 1, pp.acked + 1
      for k, c in ipairs(r.copies) do
        if c[1] == r.partition and c[2] == r.offset then acked_copy = k end
      end
      if #r.copies == 0 then
        t.lost, pp.lost = t.lost + 1, pp.lost + 1
      elseif not acked_copy then
        t.ack_elsewhere = t.ack_elsewhere + 1
      end
    elseif r.err then
      t.failed, pp.failed = t.failed + 1, pp.failed + 1
      failed_by[r.err] = (failed_by[r.err] or 0) + 1
      if not poisoned or setup_leader[r.partition] ~= poisoned then t.failed_elsewhere = t.failed_elsewhere + 1 end
      if #r.copies > 0 then t.failed_present = t.failed_present + 1 end
    end
    for k, c in ipairs(r.copies) do
      if k ~= (acked_copy or 1) then
        local cp = part(c[1])
        if appends_unanswered and acked_copy and c[1] == r.partition and c[2] < r.offset then
          t.mock_dup, cp.mock_dup = t.mock_dup + 1, cp.mock_dup + 1
        else
          t.dup, cp.dup = t.dup + 1, cp.dup + 1
        end
      end
    end
  end
end
for _, pp in pairs(parts) do t.reordered = t.reordered + pp.reordered end

-- Must hold: nothing lost, every outcome reported exactly once and pointing
-- at the record; with idempotence no duplicate and no reordering; failures
-- only where non-retriable errors were aimed: retriable faults are retried
-- and delivery.timeout.ms is far off.
local broken = {}
local function must(ok, what) if not ok then broken[#broken + 1] = what end end
must(t.lost == 0, "records lost")
must(t.cb_missing == 0 and t.cb_doubled == 0, "callbacks missing or doubled")
must(t.ack_elsewhere == 0, "acknowledged offsets holding another record")
must(corrupt == 0 and unknown == 0, "records corrupted")
must(t.failed_present == 0, "failed records present in the log")
if idempotent then
  must(t.dup == 0, "duplicates with idempotence")
  must(t.reordered == 0, "reordering with idempotence")
end
must(t.failed_elsewhere == 0, "failures outside the partitions non-retriable errors were aimed at")

local function list(map, keys)
  local out = {}
  for _, k in ipairs(keys) do out[#out + 1] = ("%s %d"):format(k, map[k]) end
  return #out > 0 and table.concat(out, ", ") or "none"
end
local errs = {}
for k in pairs(failed_by) do errs[#errs + 1] = k end
table.sort(errs)

print(("%s: profile %s, idempotence %s"):format(label, profile, idempotence))
print(("  faults      %s"):format(list(faults, fault_kinds)))
print(("  producer    %s"):format(metrics))
print(("  records     sent %d, acknowledged %d, failed %d (%s)"):format(t.sent, t.acked, t.failed, list(failed_by, errs)))
print(("  checks      lost %d, duplicated %d, mock-duplicates (no sequence check) %d, out of order %d,")
  :format(t.lost, t.dup, t.mock_dup, t.reordered))
print(("              callbacks missing %d, doubled %d, ack offset elsewhere %d, failed but present %d,")
  :format(t.cb_missing, t.cb_doubled, t.ack_elsewhere, t.failed_present))
print(("              failed off the aimed partitions %d, corrupt %d"):format(t.failed_elsewhere, corrupt + unknown))
table.sort(plist)
print("  partition   acked  failed  in log  lost  dup  mock-dup  out-of-order")
for _, p in ipairs(plist) do
  local pp = parts[p]
  print(("  %9s  %6d  %6d  %6d  %4d  %3d  %8d  %12d"):format(p >= 0 and tostring(p) or "none",
    pp.acked, pp.failed, pp.in_log, pp.lost, pp.dup, pp.mock_dup, pp.reordered))
end
print(("  verdict     %s"):format(#broken == 0 and "ok" or "BROKEN: " .. table.concat(broken, "; ")))
print(("chaos: label=%s profile=%s idempotence=%s sent=%d acked=%d failed=%d lost=%d dup=%d mock_dup=%d reordered=%d cb_missing=%d cb_doubled=%d verdict=%s")
  :format(label, profile, idempotence, t.sent, t.acked, t.failed, t.lost, t.dup, t.mock_dup, t.reordered,
    t.cb_missing, t.cb_doubled, #broken == 0 and "ok" or "broken"))
os.exit(#broken == 0 and 0 or 1)
