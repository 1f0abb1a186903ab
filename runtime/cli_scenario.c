/* cli_scenario.c — runs a load-test scenario: setup, the producers and the
 * worker threads, progress every second, SIGINT, the result (summary, JSON)
 * and done. */
#include <errno.h>
#include <lauxlib.h>
#include <lua.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_scenario.h"
#include "kp_lua.h"
#include "kp_time.h"

#define START_DELAY_US 20000 /* lets every worker reach its first wait before record 0 is due */
#define TICK_US 1000000

static volatile sig_atomic_t interrupts;

static void on_sigint(int sig) {
    (void)sig;
    interrupts++;
}

/* Ends a worker's send blocked for metadata or buffer.memory after a signal. */
static int scenario_interrupted(void) { return interrupts > 0; }

/* Calls the global hook `name` with the table at the top (popped), protected.
 * Returns 0 (also when there is no hook) with its first result pushed, or
 * -1 with the error printed. */
static int call_main_hook(lua_State *L, const char *name) {
    lua_getglobal(L, name);
    if (!lua_isfunction(L, -1)) {
        lua_pop(L, 2);
        lua_pushnil(L);
        return 0;
    }
    lua_insert(L, -2);
    if (kp_lua_pcall(L, 1, 1)) {
        fprintf(stderr, "kprod run: %s() failed: %s\n", name, lua_tostring(L, -1));
        lua_pop(L, 1);
        return -1;
    }
    return 0;
}

static kp_producer *new_producer(const kp_scn_config *c, char *errstr, size_t errlen) {
    kp_conf *conf = kp_conf_new();
    if (!conf) return NULL;
    if (c->brokers && kp_conf_set(conf, "bootstrap.servers", c->brokers, errstr, errlen)) goto err;
    for (int i = 0; i < c->nprops; i++)
        if (kp_conf_set_line(conf, c->props[i], errstr, errlen)) goto err;
    kp_producer *p = kp_producer_new(conf, errstr, errlen); /* owns conf */
    if (p) kp_producer_set_interrupt_check(p, scenario_interrupted);
    return p;
err:
    kp_conf_free(conf);
    return NULL;
}

/* The measured window in seconds: from the warmup's end to when records
 * stopped being generated, never shorter than the schedule (a worker that
 * fell behind lengthens it, so the achieved rate shows it). */
static double measured_seconds(const kp_scn_run *run, int interrupted) {
    const kp_scn_config *c = run->conf;
    double actual = (double)(atomic_load(&run->gen_end_us) - run->warmup_end_us) / 1e6;
    if (interrupted || !run->schedule.nseg) return actual > 0 ? actual : 0;
    double end = run->schedule.end_s;
    if (c->messages) {
        double t = kp_scn_schedule_time(&run->schedule, ceil(run->schedule.warmup_end) + (double)c->messages);
        if (isinf(t)) { /* the schedule's last record: one interval after it */
            double last = kp_scn_schedule_time(&run->schedule, ceil(run->schedule.warmup_end) + (double)c->messages - 1);
            t = isinf(last) ? end : last + 1.0 / (c->rate > 0 ? c->rate : 1);
        }
        if (t < end) end = t;
    }
    double scheduled = end - c->warmup_s;
    return actual > scheduled ? actual : scheduled;
}

/* Pushes the whole result: what `--json` writes and done() receives. */
static void push_result(lua_State *L, kp_scn_run *run, kp_scn_progress *pr, int interrupted,
                        double started_at) {
    kp_scn_stats *st = &run->stats;
    const kp_scn_config *c = run->conf;
    double secs = measured_seconds(run, interrupted);
    int64_t acked = atomic_load(&st->acked), bytes = atomic_load(&st->bytes);
    lua_newtable(L);
    lua_pushstring(L, "kprod " KPROD_SOFTWARE_VERSION);
    lua_setfield(L, -2, "kprod");
    lua_pushboolean(L, interrupted);
    lua_setfield(L, -2, "interrupted");
    kp_scn_set_number(L, "started_at", started_at);
    kp_scn_set_number(L, "duration_s", secs);
    kp_scn_set_number(L, "instances", 1);
    kp_scn_config_push(c, L);
    lua_setfield(L, -2, "config");
    lua_createtable(L, 0, 4);
    kp_scn_set_number(L, "sent", (double)atomic_load(&st->sent));
    kp_scn_set_number(L, "acked", (double)acked);
    kp_scn_set_number(L, "failed", (double)atomic_load(&st->failed));
    kp_scn_set_number(L, "skipped", (double)atomic_load(&st->skipped));
    lua_setfield(L, -2, "records");
    lua_createtable(L, 0, 3);
    kp_scn_set_number(L, "sent", (double)(atomic_load(&st->all_sent) - atomic_load(&st->sent)));
    kp_scn_set_number(L, "acked", (double)(atomic_load(&st->all_acked) - acked));
    kp_scn_set_number(L, "failed", (double)(atomic_load(&st->all_failed) - atomic_load(&st->failed)));
    lua_setfield(L, -2, "warmup");
    kp_scn_set_number(L, "bytes", (double)bytes);
    kp_scn_set_number(L, "hook_errors", (double)atomic_load(&st->hook_errors));
    lua_createtable(L, 0, 4);
    kp_scn_set_number(L, "records_per_sec", secs > 0 ? (double)acked / secs : 0);
    kp_scn_set_number(L, "bytes_per_sec", secs > 0 ? (double)bytes / secs : 0);
    kp_scn_set_number(L, "sent_per_sec", secs > 0 ? (double)atomic_load(&st->sent) / secs : 0);
    kp_scn_set_number(L, "target_records_per_sec", c->rate / c->instances);
    lua_setfield(L, -2, "throughput");
    kp_scn_push_latency(st->hist[KP_SCN_TOTAL], L);
    lua_setfield(L, -2, "latency_ms");
    lua_createtable(L, 0, KP_SCN_NHIST);
    for (int i = 0; i < KP_SCN_NHIST; i++) {
        kp_scn_push_latency(st->hist[i], L);
        lua_setfield(L, -2, kp_scn_hist_names[i]);
    }
    lua_setfield(L, -2, "latency_stages_ms");
    kp_scn_stats_push_errors(st, L);
    lua_setfield(L, -2, "errors");
    kp_scn_stats_push_partitions(st, L);
    lua_setfield(L, -2, "partitions");
    kp_scn_progress_push_timeline(pr, L);
    lua_setfield(L, -2, "timeline");
    lua_createtable(L, 0, KP_SCN_NHIST + 2);
    lua_pushstring(L, "us");
    lua_setfield(L, -2, "unit");
    lua_pushstring(L, "HdrHistogram V2 compressed, base64");
    lua_setfield(L, -2, "encoding");
    for (int i = 0; i < KP_SCN_NHIST; i++) {
        char *text = kp_hdr_encode(st->hist[i]);
        lua_pushstring(L, text ? text : "");
        lua_setfield(L, -2, kp_scn_hist_names[i]);
        free(text);
    }
    lua_setfield(L, -2, "histograms");
}

/* Prints the summary and writes --json through lua/kprod/result.lua. */
static int report(lua_State *L, const kp_scn_config *c) {
    lua_getglobal(L, "require");
    lua_pushstring(L, "kprod.result");
    if (kp_lua_pcall(L, 1, 1)) goto err;
    lua_getfield(L, -1, "finish");
    lua_remove(L, -2);
    lua_pushvalue(L, -2);
    if (c->json_path) lua_pushstring(L, c->json_path);
    else lua_pushnil(L);
    if (kp_lua_pcall(L, 2, 2)) goto err;
    if (lua_isnil(L, -2)) {
        fprintf(stderr, "kprod run: %s\n", lua_tostring(L, -1));
        lua_pop(L, 2);
        return -1;
    }
    lua_pop(L, 2);
    return 0;
err:
    fprintf(stderr, "kprod run: writing the result failed: %s\n", lua_tostring(L, -1));
    lua_pop(L, 1);
    return -1;
}

/* Waits for the workers while ticking once a second and watching SIGINT. */
static void supervise(kp_scn_run *run, kp_scn_progress *pr, kp_producer **producers, int nproducers) {
    int64_t next_tick = run->start_us + TICK_US;
    int seen = 0;
    while (atomic_load(&run->alive) > 0) {
        int64_t now = kp_now_us();
        int64_t wake = next_tick < now + 100000 ? next_tick : now + 100000;
        struct timespec ts = {wake / 1000000, (wake % 1000000) * 1000};
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL); /* EINTR on SIGINT */
        if (interrupts != seen) {
            seen = interrupts;
            if (seen == 1) {
                fprintf(stderr, "kprod: interrupted: stopping, waiting up to %.0fs for acknowledgements "
                                "(Ctrl-C again to stop at once)\n", run->conf->flush_timeout_s);
                atomic_store(&run->stop, 1);
            } else {
                fprintf(stderr, "kprod: interrupted again: closing now, unacknowledged records fail\n");
                atomic_store(&run->stop, 2);
                for (int i = 0; i < nproducers; i++) kp_producer_stop_accepting(producers[i]);
            }
        }
        now = kp_now_us();
        if (now >= next_tick && atomic_load(&run->running) > 0) {
            kp_scn_progress_tick(pr, now);
            next_tick += TICK_US;
            if (next_tick < now) next_tick = now + TICK_US;
        }
    }
    kp_scn_progress_tick(pr, kp_now_us()); /* the last, partial interval */
}

int kp_scn_main(lua_State *L, kp_scn_config *conf, const char *const *args, int nargs) {
    kp_scn_run run;
    char err[512];
    int rc = 1, nproducers = conf->producer_per_worker ? conf->workers : 1, started = 0;
    kp_producer **producers = calloc((size_t)nproducers, sizeof *producers);
    kp_scn_worker **workers = calloc((size_t)conf->workers, sizeof *workers);
    kp_scn_progress *pr = NULL;
    sigset_t block, saved;
    struct sigaction sa = {0}, old_sa;
    memset(&run, 0, sizeof run);
    run.conf = conf;
    run.args = args;
    run.nargs = nargs;
    pthread_mutex_init(&run.go_lock, NULL);
    pthread_cond_init(&run.go_cond, NULL);
    run.hooks = kp_lua_hook_log_new();
    if (!producers || !workers || !run.hooks || kp_scn_stats_init(&run.stats) ||
        kp_scn_schedule_init(&run.schedule, conf)) {
        fprintf(stderr, "kprod run: out of memory\n");
        goto out;
    }
    kp_scn_config_push(conf, L);
    if (call_main_hook(L, "setup")) goto out;
    lua_pop(L, 1);
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint; /* no SA_RESTART: the waits below wake up */
    sigaction(SIGINT, &sa, &old_sa);
    interrupts = 0;

    /* Producer and worker threads leave SIGINT to this one. */
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    pthread_sigmask(SIG_BLOCK, &block, &saved);
    for (int i = 0; i < nproducers; i++) {
        if (!(producers[i] = new_producer(conf, err, sizeof err))) {
            fprintf(stderr, "kprod run: producer: %s\n", err);
            rc = 2;
            goto unblock;
        }
    }
    atomic_store(&run.alive, conf->workers);
    atomic_store(&run.running, conf->workers);
    for (int i = 0; i < conf->workers; i++, started++) {
        if (!(workers[i] = kp_scn_worker_start(&run, i, producers[conf->producer_per_worker ? i : 0]))) {
            fprintf(stderr, "kprod run: cannot start worker %d\n", i + 1);
            break;
        }
    }
    atomic_fetch_sub(&run.alive, conf->workers - started);
    atomic_fetch_sub(&run.running, conf->workers - started);
    int ready = started == conf->workers;
    for (int i = 0; i < started; i++)
        if (kp_scn_worker_ready(workers[i])) ready = 0;
    run.start_us = kp_now_us() + START_DELAY_US;
    run.warmup_end_us = run.start_us + (int64_t)(conf->warmup_s * 1e6);
    run.end_us = conf->duration_s > 0 ? run.warmup_end_us + (int64_t)(conf->duration_s * 1e6) : 0;
    atomic_store(&run.gen_end_us, run.warmup_end_us);
    if (ready && !(pr = kp_scn_progress_new(&run, producers, nproducers, err, sizeof err))) {
        fprintf(stderr, "kprod run: %s\n", err);
        ready = 0;
    }
    double started_at = (double)kp_wallclock_ms() / 1e3;
    pthread_mutex_lock(&run.go_lock);
    atomic_store(&run.go, ready ? 1 : -1);
    pthread_cond_broadcast(&run.go_cond);
    pthread_mutex_unlock(&run.go_lock);
unblock:
    pthread_sigmask(SIG_SETMASK, &saved, NULL);
    if (started == 0 || !pr) goto close;
    supervise(&run, pr, producers, nproducers);
    for (int i = 0; i < started; i++) kp_scn_worker_join(workers[i]);
close:
    for (int i = 0; i < nproducers && producers[i]; i++)
        kp_producer_close(producers[i], atomic_load(&run.stop) >= 2 || kp_producer_outstanding(producers[i]) ? 0 : -1);
    for (int i = 0; i < started; i++) kp_scn_worker_free(workers[i]);
    if (started && pr) {
        int interrupted = interrupts > 0;
        push_result(L, &run, pr, interrupted, started_at);
        rc = report(L, conf) ? 1 : interrupted ? 130 : 0;
        if (call_main_hook(L, "done")) rc = 1;
        else if (lua_type(L, -1) == LUA_TNUMBER) rc = (int)lua_tointeger(L, -1);
        lua_pop(L, 1);
    }
out:
    if (sa.sa_handler == on_sigint) sigaction(SIGINT, &old_sa, NULL);
    kp_scn_progress_free(pr);
    kp_lua_hook_log_free(run.hooks);
    kp_scn_stats_free(&run.stats);
    kp_scn_schedule_free(&run.schedule);
    pthread_mutex_destroy(&run.go_lock);
    pthread_cond_destroy(&run.go_cond);
    free(producers);
    free(workers);
    return rc;
}
