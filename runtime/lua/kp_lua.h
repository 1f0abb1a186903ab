/* kp_lua.h — the C side of kprod's Lua API: what lua/kprod/core.lua declares
 * to the LuaJIT FFI, plus the Lua-state helpers `kprod run` and the
 * sender-side retry state share. Keep the FFI-facing declarations in sync
 * with lua/kprod/core.lua (it checks the struct sizes at load). */
#ifndef KP_LUA_H
#define KP_LUA_H

#include <stddef.h>
#include <stdint.h>

#include "kp_producer.h"

struct lua_State;

/* ---- hook errors: reported once per distinct message, then counted ---- */

typedef struct kp_lua_hook_log kp_lua_hook_log;

/* A thread-safe log of hook failures. The first occurrence of a message
 * (its first line, without the traceback) is printed to stderr in full with
 * `what` ("transform", "retry policy", ...); later ones are only counted. */
kp_lua_hook_log *kp_lua_hook_log_new(void);
/* Records one failure; `message` may hold a traceback after its first line. */
void kp_lua_hook_log_add(kp_lua_hook_log *log, const char *what, const char *message);
/* Failures recorded so far (all messages). */
uint64_t kp_lua_hook_log_count(kp_lua_hook_log *log);
/* Prints "... repeated N times" for each message seen more than once, then
 * frees the log; NULL is fine. */
void kp_lua_hook_log_free(kp_lua_hook_log *log);

/* ---- the producer as Lua sees it ---- */

/* One delivery report waiting for its Lua callback. */
typedef struct kp_lua_report {
    int32_t id;          /* the callback id given to kp_lua_producer_send (> 0) */
    int32_t err;         /* 0 or a kp_err code */
    int32_t partition;
    int32_t errstr_len;  /* bytes of the error text at errs + errstr_off */
    int64_t errstr_off;
    int64_t offset;      /* -1 when unknown */
    int64_t timestamp;
} kp_lua_report;

/* A kp_producer plus the queue its callback-carrying records report into.
 * Lua reads reports[head..count) and advances head itself; the next report
 * appended after the queue ran empty (head == count) starts it over, so a
 * callback that polls again never sees a report twice. */
typedef struct kp_lua_producer {
    kp_lua_report *reports;
    int32_t head, count;
    char *errs;                 /* error texts of the queued reports */
    kp_producer *producer;      /* NULL after kp_lua_producer_close */
    int32_t cap;
    int32_t sends_since_poll;
    size_t errs_len, errs_cap;
    int oom;                    /* a report was lost for want of memory */
    struct kp_lua_retry *retry; /* owned; freed after the producer closed */
    kp_lua_hook_log *hooks;     /* owned */
} kp_lua_producer;

/* Creates the producer (taking ownership of conf, also on failure). NULL
 * with errstr set when kp_producer_new refuses the configuration. */
kp_lua_producer *kp_lua_producer_new(kp_conf *conf, char *errstr, size_t errlen);

/* kp_producer_send with the delivery report queued for Lua when id > 0 (no
 * report and no per-record cost when id == 0). Every 256 sends it also
 * collects due reports, so a script that never polls does not pile them up.
 * Returns 0 or a kp_err code with errstr set (KP_ERR__DESTROY after close). */
int kp_lua_producer_send(kp_lua_producer *lp, const char *topic, int32_t partition,
                         const void *key, int32_t key_len, const void *value, int32_t value_len,
                         const kp_header *headers, int header_count, int64_t timestamp,
                         int32_t id, char *errstr, size_t errlen);

/* A kprod.blob slice (lua/kprod/blob.lua's blob:sub): bytes of a blob that
 * a send refers to. The slice holds one reference to its blob. Its CRC-32C
 * is computed at its first send by reference and kept: a pool of slices sent
 * over and over is read once for the batches' CRCs. */
typedef struct kp_lua_slice {
    kp_blob *blob;
    size_t offset;
    int32_t len;
    int32_t has_crc; /* crc is known */
    kp_crc32c_piece crc;
} kp_lua_slice;

/* The slice's CRC-32C piece, computed on first use (one thread at a time
 * per slice: the Lua state's). */
const kp_crc32c_piece *kp_lua_slice_crc(kp_lua_slice *s);

/* kp_lua_producer_send with the slice's bytes as the value, referenced
 * rather than copied (kp_producer_send_blob, with the slice's CRC). */
int kp_lua_producer_send_slice(kp_lua_producer *lp, const char *topic, int32_t partition,
                               const void *key, int32_t key_len, kp_lua_slice *slice,
                               const kp_header *headers, int header_count, int64_t timestamp,
                               int32_t id, char *errstr, size_t errlen);

/* kp_producer_poll / flush, queueing the reports for Lua. */
int kp_lua_producer_poll(kp_lua_producer *lp, int timeout_ms);
int kp_lua_producer_flush(kp_lua_producer *lp, int timeout_ms);

/* Closes the producer (every report queued), then frees the retry state.
 * The struct stays for Lua to drain its queue; the hook log stays until
 * kp_lua_producer_end. Returns kp_producer_close's result; 0 when already
 * closed. */
int kp_lua_producer_close(kp_lua_producer *lp, int timeout_ms);

/* After close and the last callbacks: prints the hook error summary ("...
 * failed N times in all") and frees the log. Idempotent. */
void kp_lua_producer_end(kp_lua_producer *lp);

/* The FFI finaliser: a forced close if still open, kp_lua_producer_end,
 * then frees everything. */
void kp_lua_producer_free(kp_lua_producer *lp);

/* Partition count of topic, waiting up to timeout_ms for metadata, or a
 * negative kp_err code (KP_ERR__DESTROY after close). */
int32_t kp_lua_producer_partition_count(kp_lua_producer *lp, const char *topic, int timeout_ms);

/* Metrics as a flat array: out[i] is kp_lua_metric_name(i), for i below
 * kp_lua_metric_count(). Decoupled from kp_metrics' layout on purpose. */
int kp_lua_metric_count(void);
const char *kp_lua_metric_name(int i);
void kp_lua_producer_metrics(kp_lua_producer *lp, double *out);

/* Records a Lua-side hook failure in the producer's log (see above). */
void kp_lua_producer_hook_error(kp_lua_producer *lp, const char *what, const char *message);

/* Installs a retry policy run in its own Lua state on the sender thread:
 * `bytecode` is string.dump of the policy function, `prelude` Lua source
 * returning function(f) that restores f's upvalues in that state and returns
 * f (see lua/kprod/retry.lua). Call before the first send. Returns 0, or -1
 * with errstr set (the state could not be built or the prelude failed). */
int kp_lua_producer_set_retry(kp_lua_producer *lp, const char *bytecode, size_t bytecode_len,
                              const char *prelude, size_t prelude_len, char *errstr,
                              size_t errlen);

/* ---- the sender-side retry state (kp_lua_retry.c) ---- */

typedef struct kp_lua_retry kp_lua_retry;
kp_lua_retry *kp_lua_retry_new(const char *bytecode, size_t bytecode_len, const char *prelude,
                               size_t prelude_len, kp_lua_hook_log *log, char *errstr,
                               size_t errlen);
/* The kp_retry_policy_fn: calls the policy with a ctx table, protected.
 * A policy error is logged and fails the batch. */
int kp_lua_retry_decide(const kp_retry_ctx *ctx, void *retry);
void kp_lua_retry_free(kp_lua_retry *r);

/* ---- Lua states (kp_lua_state.c) ---- */

/* Opens the standard libraries and makes every embedded lua/ module
 * (kprod, kprod.*) loadable with require. */
void kp_lua_open(struct lua_State *L);

/* The one protected call for every hook: calls the function below nargs
 * arguments with a traceback handler. Returns 0 with nresults pushed, or
 * the lua_pcall code with the message and traceback on the stack. */
int kp_lua_pcall(struct lua_State *L, int nargs, int nresults);

/* ---- a child process spoken to line by line (kp_lua_process.c) ---- */

typedef struct kp_lua_process kp_lua_process;
/* Starts `sh -c "exec COMMAND"` with its stdin and stdout on pipes (stderr
 * inherited). NULL with errstr set when it cannot start. */
kp_lua_process *kp_lua_process_spawn(const char *command, char *errstr, size_t errlen);
/* Writes all of data to the child's stdin: 0, or -1 when it is gone. */
int kp_lua_process_write(kp_lua_process *pr, const char *data, size_t len);
/* Reads one line of the child's stdout (without its newline, truncated to
 * cap - 1 bytes) into line. Returns its length, -1 after timeout_ms, -2 at EOF. */
int kp_lua_process_read_line(kp_lua_process *pr, char *line, size_t cap, int timeout_ms);
/* Closes the child's stdin, waits up to timeout_ms for it to exit (then
 * kills it) and frees pr. Returns its exit status (128 + signal). */
int kp_lua_process_close(kp_lua_process *pr, int timeout_ms);

/* ---- small things the Lua side calls ---- */

double kp_lua_now_ms(void);       /* monotonic milliseconds */
void kp_lua_sleep_ms(double ms);  /* sleeps; a signal ends it only after kp_lua_interrupt */
/* `kprod run` scripts and SIGINT/SIGTERM: the signal handler calls
 * kp_lua_interrupt (async-signal-safe); send, poll, flush and sleep then
 * raise KP_LUA_INTERRUPTED in the script, and the runner closes its
 * producers: gracefully after the first signal, forcibly after a second. */
#define KP_LUA_INTERRUPTED "kprod: interrupted"
void kp_lua_interrupt(int signo);
int kp_lua_interrupted(void);      /* signals received so far */
int kp_lua_interrupt_signal(void); /* the first one's number, 0 if none */
/* Fills buf with n pseudo-random bytes from *state (kp_rand32's generator). */
void kp_lua_random_fill(uint32_t *state, uint8_t *buf, size_t n);
/* sizeof the structs core.lua declares, to catch a stale declaration. */
size_t kp_lua_sizeof(const char *type);

#endif
