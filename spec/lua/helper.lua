-- spec/lua/helper.lua — what the busted specs share: the kprod module from
-- this tree, and the Kafka peer they run against ($KPROD_MOCK, a program
-- driven over its stdin; $KPROD_TEST_BROKERS, a real cluster; or else the
-- in-process librdkafka mock).
local root = os.getenv("KPROD_ROOT") or "."
local build = os.getenv("KPROD_BUILD") or (root .. "/build")
package.path = root .. "/lua/?.lua;" .. root .. "/spec/lua/?.lua;" .. package.path
package.cpath = build .. "/?.so;" .. package.cpath

local kprod = require "kprod"

-- Under valgrind (KPROD_VALGRIND=1, spec/run_busted.sh) $KPROD_BIN runs kprod
-- under memcheck, and specs end as pending before checks of wall-clock time.
local helper = { kprod = kprod, root = root, build = build,
  kprod_bin = os.getenv("KPROD_BIN") or build .. "/kprod", valgrind = os.getenv("KPROD_VALGRIND") == "1" }

local peer

-- The peer for this spec run: {bootstrap = "host:port,...", mock = cluster
-- or nil}. mock is nil against a real cluster: fault injection then skips.
function helper.peer()
  if peer then return peer end
  local brokers = os.getenv("KPROD_TEST_BROKERS")
  if brokers and brokers ~= "" then
    peer = { bootstrap = brokers }
  else
    local cmd = os.getenv("KPROD_MOCK")
    local m = assert(kprod.mock_cluster { command = cmd ~= "" and cmd or nil })
    peer = { bootstrap = m.bootstrap, mock = m }
  end
  return peer
end

local seq = 0
-- A topic name not used before; created with `partitions` on a mock.
function helper.topic(prefix, partitions)
  seq = seq + 1
  local name = ("%s-%d-%d-%d"):format(prefix or "spec", os.time(), math.random(1e6), seq)
  local p = helper.peer()
  if p.mock and partitions then assert(p.mock:create_topic(name, partitions)) end
  return name
end

-- A producer on the peer; props override the defaults given here.
function helper.producer(props)
  local all = { ["bootstrap.servers"] = helper.peer().bootstrap, ["linger.ms"] = 1 }
  for k, v in pairs(props or {}) do all[k] = v end
  return assert(kprod.producer(all))
end

-- Injects a fault with a mock command; returns false when the peer is a
-- real cluster (the caller marks its test pending).
function helper.fault(cmd)
  local p = helper.peer()
  if not p.mock then return false end
  assert(p.mock:command(cmd))
  return true
end

-- Everything in topic as kcat reads it back (CRCs checked): a list of
-- {partition =, offset =, key =, value =, headers =} sorted by partition, offset.
function helper.consume(topic)
  local cmd = ("kcat -C -b '%s' -t '%s' -e -q -X check.crcs=true -f '%%p\\t%%o\\t%%k\\t%%h\\t%%s\\n' 2>/dev/null")
    :format(helper.peer().bootstrap, topic)
  local f = assert(io.popen(cmd))
  local out = {}
  for line in f:lines() do
    local p, o, k, h, v = line:match("^(%d+)\t(%d+)\t([^\t]*)\t([^\t]*)\t(.*)$")
    if p then
      out[#out + 1] = { partition = tonumber(p), offset = tonumber(o), key = k, headers = h, value = v }
    end
  end
  f:close()
  table.sort(out, function(a, b)
    if a.partition ~= b.partition then return a.partition < b.partition end
    return a.offset < b.offset
  end)
  return out
end

-- Runs a shell command; returns its exit status and its output (stdout+stderr).
function helper.run(cmd)
  local f = assert(io.popen(cmd .. " 2>&1; echo \"exit=$?\""))
  local out = f:read("*a")
  f:close()
  local status = tonumber(out:match("exit=(%d+)\n?$"))
  return status, (out:gsub("exit=%d+\n?$", ""))
end

return helper
