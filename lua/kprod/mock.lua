-- kprod/mock.lua — kprod.mock_cluster{}: a Kafka test cluster with fault
-- injection, in this process (librdkafka's mock) or an external mock
-- program (`kprod mock`, kprod-mock-modern) driven over its stdin.
local ffi = require "ffi"
local core = require "kprod.core"

local C, errbuf, ERRLEN = core.C, core.errbuf, core.errlen
local ERR_FAIL = -117

local M = {}
local Mock = {}
Mock.__index = Mock

local line = ffi.new("char[?]", 4096)

-- kprod.mock_cluster{brokers = 3, topics = {name = partitions}, command = nil}
-- With command (e.g. os.getenv("KPROD_MOCK")) the cluster is that program,
-- started with --brokers N. Returns the cluster, or nil, message, code.
function M.new(opts)
  opts = opts or {}
  if type(opts) ~= "table" then error("mock_cluster: expected a table of options", 2) end
  local brokers = opts.brokers or 3
  if type(brokers) ~= "number" or brokers < 1 or brokers % 1 ~= 0 then
    error("mock_cluster: 'brokers' must be a positive integer", 2)
  end
  if opts.command ~= nil and type(opts.command) ~= "string" then
    error("mock_cluster: 'command' must be a string", 2)
  end
  local self = setmetatable({}, Mock)
  if opts.command then
    local pr = C.kp_lua_process_spawn(("%s --brokers %d"):format(opts.command, brokers), errbuf, ERRLEN)
    if pr == nil then return nil, "mock_cluster: " .. core.errmsg(), ERR_FAIL end
    self.process = ffi.gc(pr, function(p) C.kp_lua_process_close(p, 5000) end)
    local n = C.kp_lua_process_read_line(pr, line, 4096, 10000)
    if n < 0 then
      self:close()
      return nil, ("mock_cluster: '%s' printed no bootstrap list"):format(opts.command), ERR_FAIL
    end
    self.bootstrap = ffi.string(line, n)
  else
    local m = C.kp_mock_cluster_new(brokers, opts.verbose and 1 or 0, errbuf, ERRLEN)
    if m == nil then return nil, "mock_cluster: " .. core.errmsg(), ERR_FAIL end
    self.handle = ffi.gc(m, C.kp_mock_cluster_destroy)
    self.bootstrap = ffi.string(C.kp_mock_cluster_bootstraps(m))
  end
  for name, partitions in pairs(opts.topics or {}) do
    local ok, msg, code = self:create_topic(name, partitions)
    if not ok then
      self:close()
      return nil, msg, code
    end
  end
  return self
end

-- Runs one control command ("down 1", "errors 0 6 3", "topic t 4", ... as
-- `kprod mock` documents). Returns true, or nil, message, code.
function Mock:command(cmd)
  if type(cmd) ~= "string" or cmd:find("\n") then error("command: expected one line of text", 2) end
  if self.process then
    if C.kp_lua_process_write(self.process, cmd .. "\n", #cmd + 1) ~= 0 then
      return nil, "mock peer is gone", ERR_FAIL
    end
    local n = C.kp_lua_process_read_line(self.process, line, 4096, 10000)
    if n < 0 then return nil, "mock peer did not answer '" .. cmd .. "'", ERR_FAIL end
    local answer = ffi.string(line, n)
    if answer == "ok" then return true end
    return nil, (answer:gsub("^error: ", "")), ERR_FAIL
  elseif self.handle then
    local rc = C.kp_mock_cluster_command(self.handle, cmd, errbuf, ERRLEN)
    if rc < 0 then return nil, core.errmsg(), ERR_FAIL end
    return true
  end
  return nil, "mock cluster is closed", ERR_FAIL
end

function Mock:create_topic(name, partitions, replication)
  if type(name) ~= "string" then error("create_topic: 'name' must be a string", 2) end
  if type(partitions) ~= "number" then error("create_topic: 'partitions' must be a number", 2) end
  local ok, msg, code = self:command(("topic %s %d%s"):format(name, partitions,
    replication and (" %d"):format(replication) or ""))
  if not ok then return nil, ("create_topic '%s': %s"):format(name, msg), code end
  return true
end

-- Stops the brokers (producers connected to them see connections close).
function Mock:close()
  if self.process then
    local pr = ffi.gc(self.process, nil)
    self.process = nil
    C.kp_lua_process_close(pr, 5000)
  elseif self.handle then
    local h = ffi.gc(self.handle, nil)
    self.handle = nil
    C.kp_mock_cluster_destroy(h)
  end
end

return M
