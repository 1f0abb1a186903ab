-- kprod/core.lua — the C API as the LuaJIT FFI sees it (runtime/lua/kp_lua.h),
-- and where it comes from: the kprod binary itself, or libkprod.so.
local ffi = require "ffi"

ffi.cdef [[
typedef struct kp_conf kp_conf;
kp_conf *kp_conf_new(void);
void kp_conf_free(kp_conf *conf);
int kp_conf_set(kp_conf *conf, const char *name, const char *value, char *errstr, size_t errlen);

typedef struct kp_header {
    const char *key;
    int32_t key_len;
    const void *value;
    int32_t value_len;
} kp_header;

typedef struct kp_lua_report {
    int32_t id, err, partition, errstr_len;
    int64_t errstr_off, offset, timestamp;
} kp_lua_report;

typedef struct kp_lua_producer {
    kp_lua_report *reports;
    int32_t head, count;
    char *errs;
    void *producer;
    int32_t cap, sends_since_poll;
    size_t errs_len, errs_cap;
    int oom;
    void *retry, *hooks;
} kp_lua_producer;

typedef struct kp_blob {
    long refs;
    size_t len;
    uint8_t data[];
} kp_blob;
kp_blob *kp_blob_new(const void *data, size_t len);
kp_blob *kp_blob_from_file(const char *path, char *errstr, size_t errlen);
void kp_blob_ref(kp_blob *b);
void kp_blob_unref(kp_blob *b);
typedef struct kp_crc32c_piece { uint32_t crc, op; } kp_crc32c_piece;
typedef struct kp_lua_slice {
    kp_blob *blob;
    size_t offset;
    int32_t len;
    int32_t has_crc;
    kp_crc32c_piece crc;
} kp_lua_slice;

kp_lua_producer *kp_lua_producer_new(kp_conf *conf, char *errstr, size_t errlen);
int kp_lua_producer_send(kp_lua_producer *lp, const char *topic, int32_t partition,
                         const char *key, int32_t key_len, const char *value, int32_t value_len,
                         const kp_header *headers, int header_count, int64_t timestamp,
                         int32_t id, char *errstr, size_t errlen);
int kp_lua_producer_send_slice(kp_lua_producer *lp, const char *topic, int32_t partition,
                               const char *key, int32_t key_len, kp_lua_slice *slice,
                               const kp_header *headers, int header_count, int64_t timestamp,
                               int32_t id, char *errstr, size_t errlen);
int kp_lua_producer_poll(kp_lua_producer *lp, int timeout_ms);
int kp_lua_producer_flush(kp_lua_producer *lp, int timeout_ms);
int kp_lua_producer_close(kp_lua_producer *lp, int timeout_ms);
void kp_lua_producer_end(kp_lua_producer *lp);
void kp_lua_producer_free(kp_lua_producer *lp);
int32_t kp_lua_producer_partition_count(kp_lua_producer *lp, const char *topic, int timeout_ms);
int kp_lua_metric_count(void);
const char *kp_lua_metric_name(int i);
void kp_lua_producer_metrics(kp_lua_producer *lp, double *out);
void kp_lua_producer_hook_error(kp_lua_producer *lp, const char *what, const char *message);
int kp_lua_producer_set_retry(kp_lua_producer *lp, const char *bytecode, size_t bytecode_len,
                              const char *prelude, size_t prelude_len, char *errstr, size_t errlen);

typedef struct kp_lua_process kp_lua_process;
kp_lua_process *kp_lua_process_spawn(const char *command, char *errstr, size_t errlen);
int kp_lua_process_write(kp_lua_process *pr, const char *data, size_t len);
int kp_lua_process_read_line(kp_lua_process *pr, char *line, size_t cap, int timeout_ms);
int kp_lua_process_close(kp_lua_process *pr, int timeout_ms);

double kp_lua_now_ms(void);
void kp_lua_sleep_ms(double ms);
int kp_lua_interrupted(void);
void kp_lua_random_fill(uint32_t *state, uint8_t *buf, size_t n);
size_t kp_lua_sizeof(const char *type);
uint32_t kp_rand32(uint32_t *rng);

const char *kp_err_name(int code);
const char *kp_err_desc(int code);
int kp_err_retriable(int code);
int kp_err_from_name(const char *name);
size_t kp_err_count(void);
int kp_err_code_at(size_t i);

int32_t kp_murmur2(const void *key, size_t len);
int32_t kp_partition_murmur2(const void *key, size_t len, int32_t partition_count);
uint32_t kp_fnv1a32(const void *key, size_t len);
int32_t kp_partition_fnv1a(const void *key, size_t len, int32_t partition_count);
int32_t kp_partition_consistent(const void *key, size_t len, int32_t partition_count);

typedef struct kp_hdr kp_hdr;
kp_hdr *kp_hdr_new_latency(void);
void kp_hdr_free(kp_hdr *h);
void kp_hdr_record_n(kp_hdr *h, int64_t value, int64_t count);
int kp_hdr_add(kp_hdr *dst, const kp_hdr *src);
int64_t kp_hdr_total(const kp_hdr *h);
int64_t kp_hdr_min(const kp_hdr *h);
int64_t kp_hdr_max(const kp_hdr *h);
double kp_hdr_mean(const kp_hdr *h);
int64_t kp_hdr_percentile(const kp_hdr *h, double percentile);
int kp_hdr_next(const kp_hdr *h, int32_t *index, int64_t *lo, int64_t *hi, int64_t *count);
char *kp_hdr_encode(const kp_hdr *h);
kp_hdr *kp_hdr_decode(const char *base64, size_t len, char *errstr, size_t errlen);
void free(void *p);

typedef struct kp_mock_cluster kp_mock_cluster;
kp_mock_cluster *kp_mock_cluster_new(int brokers, int verbose, char *errstr, size_t errlen);
const char *kp_mock_cluster_bootstraps(const kp_mock_cluster *m);
int kp_mock_cluster_create_topic(kp_mock_cluster *m, const char *name, int partitions,
                                 int replication, char *errstr, size_t errlen);
int kp_mock_cluster_command(kp_mock_cluster *m, const char *line, char *errstr, size_t errlen);
void kp_mock_cluster_destroy(kp_mock_cluster *m);
const char *kp_mock_cluster_rdkafka_version(void);
]]

local function dirname(path) return path:match("^(.*)/[^/]*$") or "." end

-- Inside `kprod run` the binary exports the API; elsewhere libkprod.so is
-- found through $KPROD_LIB, package.cpath ("libkprod"), or the build/
-- directory beside this file's lua/ directory.
local function load_library()
  if pcall(function() return ffi.C.kp_lua_producer_new end) then return ffi.C, nil end
  local candidates = {}
  local env = os.getenv("KPROD_LIB")
  if env and env ~= "" then candidates[#candidates + 1] = env end
  local found = package.searchpath and package.searchpath("libkprod", package.cpath)
  if found then candidates[#candidates + 1] = found end
  local src = debug.getinfo(1, "S").source
  if src:sub(1, 1) == "@" then
    candidates[#candidates + 1] = dirname(dirname(dirname(src:sub(2)))) .. "/build/libkprod.so"
  end
  local errors = {}
  for _, path in ipairs(candidates) do
    local ok, lib = pcall(ffi.load, path)
    if ok then return lib, path end
    errors[#errors + 1] = lib
  end
  error("kprod: cannot find libkprod.so (set KPROD_LIB or add its directory to package.cpath"
    .. " as '.../?.so'): " .. table.concat(errors, "; "), 0)
end

local C, libpath = load_library()

for _, t in ipairs { "kp_lua_report", "kp_lua_producer", "kp_header", "kp_lua_slice" } do
  local want = tonumber(C.kp_lua_sizeof(t))
  if want ~= ffi.sizeof(t) then
    error(("kprod: %s is %d bytes in C but %d in lua/kprod/core.lua: the FFI declarations"
      .. " are out of date"):format(t, want, ffi.sizeof(t)), 0)
  end
end

local errbuf = ffi.new("char[?]", 1024)

-- Sets entry n (0-based) of headers, a kp_header[?] of cap entries, to name
-- k and value v (nil: null), doubling the array when it is full. Returns the
-- array and its cap. The strings must stay alive until the send reads them.
local function put_header(headers, cap, n, k, v)
  if n == cap then
    local bigger = ffi.new("kp_header[?]", cap * 2)
    ffi.copy(bigger, headers, ffi.sizeof("kp_header") * n)
    headers, cap = bigger, cap * 2
  end
  local e = headers[n]
  e.key, e.key_len = k, #k
  e.value, e.value_len = v, v and #v or -1
  return headers, cap
end

return {
  C = C,
  libpath = libpath, -- nil inside the kprod binary
  errbuf = errbuf,
  errlen = 1024,
  -- The message C left in errbuf.
  errmsg = function() return ffi.string(errbuf) end,
  err_name = function(code) return ffi.string(C.kp_err_name(code)) end,
  put_header = put_header,
}
