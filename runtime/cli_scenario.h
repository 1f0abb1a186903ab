/* cli_scenario.h — `kprod run` for load-test scenarios: the configuration,
 * the pacing schedule, worker threads with their own Lua states, and the
 * shared results (HDR histograms, counters) they report into. */
#ifndef KP_CLI_SCENARIO_H
#define KP_CLI_SCENARIO_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "kp_hdr.h"
#include "kp_producer.h"

struct lua_State;

/* ---- configuration (cli_scenario_config.c) ---- */

typedef struct kp_scn_stage {
    double duration_s;
    double target; /* records/s reached at the stage's end (a ramp from the previous) */
} kp_scn_stage;

/* One setting as a string, from the command line or the scenario table. */
typedef struct kp_scn_setting {
    const char *name;  /* "rate", "duration", ... (the scenario table's key) */
    const char *value;
} kp_scn_setting;

typedef struct kp_scn_config {
    const char *script;
    const char *brokers;     /* NULL: bootstrap.servers from -X or the producer table */
    char *topic;             /* owned */
    double rate;             /* records/s of the whole scenario, all instances; 0 = flat out */
    double duration_s;       /* measured phase; 0 = until `messages` */
    int64_t messages;        /* measured records of the whole scenario; 0 = until duration */
    int workers;
    double warmup_s;
    int32_t size;            /* value bytes for records without a value */
    int instance, instances; /* 0-based instance of `instances` (--instance I/N) */
    int producer_per_worker;
    int quiet;
    double flush_timeout_s;
    const char *json_path, *hdr_log_path;
    kp_scn_stage *stages;    /* owned */
    int nstages;
    char **props;            /* owned "name=value" lines: the producer table, then -X */
    int nprops;
} kp_scn_config;

/* Sets config from a setting given on the command line or in the scenario
 * table. Returns 0, or -1 with errstr naming the setting and what it takes. */
int kp_scn_config_set(kp_scn_config *c, const char *name, const char *value, char *errstr,
                      size_t errlen);
/* Reads the global `scenario` table of L into c (stages and producer
 * properties included), then applies the command line's settings over it.
 * Returns 0, or -1 with errstr set ("scenario.rate: ..."). */
int kp_scn_config_load(kp_scn_config *c, struct lua_State *L, const kp_scn_setting *cli, int ncli,
                       char *errstr, size_t errlen);
/* Checks the settings fit together (a paced run needs an end, ...). */
int kp_scn_config_check(const kp_scn_config *c, char *errstr, size_t errlen);
/* Pushes the configuration as a Lua table (setup's argument, the report's config). */
void kp_scn_config_push(const kp_scn_config *c, struct lua_State *L);
void kp_scn_config_free(kp_scn_config *c);
/* Parses "30s", "1.5m", "250ms", "1h" or a bare number of seconds. */
int kp_scn_parse_duration(const char *s, double *out_s);

/* ---- pacing (cli_scenario_pace.c) ---- */

/* The open-model schedule: the cumulative record count N(t) of the whole
 * scenario as piecewise-linear rates (warmup, then constant or stages). */
typedef struct kp_scn_segment {
    double t0, duration, r0, r1, c0; /* start, length (s), rates at ends, N(t0) */
} kp_scn_segment;

typedef struct kp_scn_schedule {
    kp_scn_segment *seg;
    int nseg;
    double end_s;      /* no record at or after this (INFINITY: none) */
    double warmup_end; /* N(warmup): records below are warmup */
} kp_scn_schedule;

int kp_scn_schedule_init(kp_scn_schedule *s, const kp_scn_config *c);
void kp_scn_schedule_free(kp_scn_schedule *s);
/* Seconds from the start at which record x (0-based, whole scenario) is due;
 * INFINITY when the schedule ends before it. */
double kp_scn_schedule_time(const kp_scn_schedule *s, double x);
/* Sleeps until deadline_us (monotonic); never spins. */
void kp_scn_sleep_until(int64_t deadline_us);

/* ---- results shared by every worker (cli_scenario_stats.c) ---- */

enum { KP_SCN_TOTAL, KP_SCN_UNCORRECTED, KP_SCN_QUEUE, KP_SCN_WIRE, KP_SCN_NHIST };
extern const char *const kp_scn_hist_names[KP_SCN_NHIST];

/* Counts kept per thread that runs delivery callbacks, merged at the end. */
typedef struct kp_scn_tally kp_scn_tally;

typedef struct kp_scn_stats {
    kp_hdr *hist[KP_SCN_NHIST];  /* measured records only, us */
    _Atomic int64_t sent, acked, failed, skipped, bytes, hook_errors;
    _Atomic int64_t all_sent, all_acked, all_failed, all_bytes; /* warmup included */
    pthread_mutex_t lock;       /* guards tallies */
    kp_scn_tally **tallies;
    int ntallies;
} kp_scn_stats;

int kp_scn_stats_init(kp_scn_stats *s);
void kp_scn_stats_free(kp_scn_stats *s);
/* The calling thread's tally (created on first use; NULL out of memory). */
kp_scn_tally *kp_scn_tally_get(kp_scn_stats *s);
void kp_scn_tally_error(kp_scn_tally *t, int code);
void kp_scn_tally_partition(kp_scn_tally *t, const char *topic, int32_t partition);
/* Pushes {NAME = count} and {topic = {[partition] = count}} of every tally. */
void kp_scn_stats_push_errors(kp_scn_stats *s, struct lua_State *L);
void kp_scn_stats_push_partitions(kp_scn_stats *s, struct lua_State *L);
/* t[key] = v for the table at the top of L's stack. */
void kp_scn_set_number(struct lua_State *L, const char *key, double v);
/* Pushes {p50, p90, p99, p999, p9999, max, min, mean, count} in ms. */
void kp_scn_push_latency(const kp_hdr *h, struct lua_State *L);

/* ---- workers (cli_scenario_worker.c) ---- */

typedef struct kp_scn_run kp_scn_run;
typedef struct kp_scn_worker kp_scn_worker;

/* Starts worker `id` (0-based in this instance) on its own thread: it builds
 * its Lua state, calls init, then waits for kp_scn_workers_go. NULL when the
 * thread cannot start. */
kp_scn_worker *kp_scn_worker_start(kp_scn_run *run, int id, kp_producer *p);
/* Waits for the worker to be ready: 0, or -1 (its state or init failed). */
int kp_scn_worker_ready(kp_scn_worker *w);
/* Waits for the worker's thread to end (it has stopped generating and
 * waited for its records, or was stopped). */
void kp_scn_worker_join(kp_scn_worker *w);
/* Frees the worker: only after its producer closed, since late delivery
 * reports still reach its slots. */
void kp_scn_worker_free(kp_scn_worker *w);

/* message()'s answers, called through the FFI by lua/kprod/scenario_worker.lua
 * (keep its cdef in step). Each takes the record at the worker's cursor:
 *  - kp_scn_send sends it: topic NULL for the scenario's, value_len
 *    KP_SCN_DEFAULT_VALUE for --size random bytes, slice non-NULL to send
 *    that kprod.blob slice by reference;
 *  - kp_scn_bad_record fails it with _INVALID_ARG, why naming the field;
 *  - kp_scn_bad_answer counts a hook error (no record: the answer was none);
 *  - kp_scn_skip counts it skipped (message() answered nil). */
#define KP_SCN_DEFAULT_VALUE (-2)
struct kp_lua_slice;
void kp_scn_send(kp_scn_worker *w, const char *topic, const char *key, int32_t key_len,
                 const char *value, int32_t value_len, struct kp_lua_slice *slice,
                 const kp_header *headers, int32_t header_count, int32_t partition,
                 double timestamp);
void kp_scn_bad_record(kp_scn_worker *w, const char *why);
void kp_scn_bad_answer(kp_scn_worker *w, const char *why);
void kp_scn_skip(kp_scn_worker *w);

/* What the workers share with the thread that runs the scenario. */
struct kp_scn_run {
    const kp_scn_config *conf;
    kp_scn_schedule schedule;
    kp_scn_stats stats;
    const char *const *args;  /* script arguments */
    int nargs;
    int64_t start_us;         /* monotonic: record 0's time; set before go */
    int64_t warmup_end_us, end_us;
    _Atomic int go;           /* 1: start; -1: abort before starting */
    _Atomic int stop;         /* 1: stop generating; 2: forced, stop waiting too */
    _Atomic int running;      /* workers still generating */
    _Atomic int alive;        /* worker threads not finished */
    _Atomic int64_t next_seq; /* flat out: the next record number to claim */
    _Atomic int64_t measured_claimed;
    _Atomic int64_t gen_end_us; /* when the last worker stopped generating */
    struct kp_lua_hook_log *hooks; /* failures of init, message, delivered */
    pthread_mutex_t go_lock;
    pthread_cond_t go_cond;
};

/* ---- progress, timeline, interval log (cli_scenario_progress.c) ---- */

typedef struct kp_scn_progress kp_scn_progress;
/* Starts the once-a-second accounting; hdr_log (may be NULL) is the
 * interval log to write. NULL when out of memory or the log cannot open. */
kp_scn_progress *kp_scn_progress_new(kp_scn_run *run, kp_producer **producers, int nproducers,
                                     char *errstr, size_t errlen);
/* One interval: a timeline sample, an interval-log line and, unless quiet,
 * the progress line on stderr. */
void kp_scn_progress_tick(kp_scn_progress *pr, int64_t now_us);
/* Pushes the timeline: a list of {t, sent_per_sec, records_per_sec,
 * bytes_per_sec, failed, p50_ms, p99_ms} for the measured seconds. */
void kp_scn_progress_push_timeline(kp_scn_progress *pr, struct lua_State *L);
void kp_scn_progress_free(kp_scn_progress *pr);

/* ---- the run (cli_scenario.c) ---- */

/* Runs the scenario whose script already ran in L (the main state, where
 * setup and done are called). Returns the exit status. */
int kp_scn_main(struct lua_State *L, kp_scn_config *conf, const char *const *args, int nargs);

/* Builds a Lua state for `script` as `kprod run` does (arg, kprod.defaults
 * from props and brokers) and runs the script's main chunk, leaving its
 * result on the stack. *status: 0; 1 when the chunk raised (message printed,
 * nil pushed); 2 when the state could not be built or the script does not
 * load (message printed, NULL returned). */
struct lua_State *kp_cli_script_state(const char *script, const char *const *args, int nargs,
                                      char *const *props, int nprops, const char *brokers,
                                      int *status);

#endif
