/* cli_scenario_worker.c — one scenario worker: a thread with its own Lua
 * state (wrk's model), paced sends from message(), delivery reports routed
 * back to it for delivered(), latency recorded from each record's intended time. */
#include <lauxlib.h>
#include <lua.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_scenario.h"
#include "kp_err.h"
#include "kp_lua.h"
#include "kp_partitioner.h"
#include "kp_time.h"

/* Records of one worker in flight at once; a slot still busy when its turn
 * comes round holds the worker back (its lateness still counts). */
#define RING_SLOTS (1u << 16)
#define POLL_EVERY 64
#define VALUE_SPREAD 4093 /* default values start at varying offsets of a random buffer */

/* A record in flight: what its delivery report needs to be accounted. */
typedef struct kp_scn_slot {
    _Atomic int busy;
    int measured;     /* after warmup: counts in the results */
    int32_t bytes;    /* key + value */
    int64_t intended_us, send_us, seq;
    kp_scn_worker *w;
} kp_scn_slot;

/* A delivery report waiting for the worker's delivered() hook. */
typedef struct scn_report {
    kp_scn_slot *slot;
    int err;
    int32_t partition;
    int64_t offset, timestamp, latency_us;
    char *topic, *errstr; /* owned */
} scn_report;

struct kp_scn_worker {
    kp_scn_run *run;
    int id, global, nglobal;
    kp_producer *p;
    pthread_t thread;
    int started;
    int ready; /* 0 starting, 1 ready, -1 failed (under run->go_lock) */
    lua_State *L;
    int ref_init, ref_message, ref_delivered, ref_worker, ref_pending;
    int ref_burst;  /* lua/kprod/scenario_worker.lua's burst function */
    int64_t cursor; /* the record of the burst that message() answers next */
    kp_scn_slot *slots;
    _Atomic int64_t outstanding;
    pthread_mutex_t lock; /* guards reports and accepting */
    scn_report *reports;
    int nreports, cap_reports, accepting;
    char *values;
    uint32_t rng;
};

static void release(kp_scn_slot *slot) {
    kp_scn_worker *w = slot->w;
    atomic_store(&slot->busy, 0);
    atomic_fetch_sub(&w->outstanding, 1);
}

/* The delivery callback of every scenario record, on whichever worker's
 * thread polled the producer: accounts the record, then hands the report
 * to the worker that sent it (for delivered()) or frees its slot. */
static void on_delivery(const kp_delivery_report *r, void *opaque) {
    kp_scn_slot *slot = opaque;
    kp_scn_worker *w = slot->w;
    kp_scn_stats *st = &w->run->stats;
    kp_scn_tally *t = kp_scn_tally_get(st);
    int64_t latency = r->acked_us - slot->intended_us;
    if (r->err) {
        atomic_fetch_add(&st->all_failed, 1);
        if (slot->measured) {
            atomic_fetch_add(&st->failed, 1);
            kp_scn_tally_error(t, r->err);
        }
    } else {
        atomic_fetch_add(&st->all_acked, 1);
        atomic_fetch_add(&st->all_bytes, slot->bytes);
        if (slot->measured) {
            atomic_fetch_add(&st->acked, 1);
            atomic_fetch_add(&st->bytes, slot->bytes);
            kp_hdr_record(st->hist[KP_SCN_TOTAL], latency);
            kp_hdr_record(st->hist[KP_SCN_UNCORRECTED], r->acked_us - slot->send_us);
            if (r->sent_us > 0) {
                kp_hdr_record(st->hist[KP_SCN_QUEUE], r->sent_us - r->enqueue_us);
                kp_hdr_record(st->hist[KP_SCN_WIRE], r->acked_us - r->sent_us);
            }
            kp_scn_tally_partition(t, r->topic, r->partition);
        }
    }
    if (w->ref_delivered == LUA_NOREF) {
        release(slot);
        return;
    }
    pthread_mutex_lock(&w->lock);
    if (w->accepting && w->nreports == w->cap_reports) {
        int cap = w->cap_reports ? w->cap_reports * 2 : 256;
        scn_report *grown = realloc(w->reports, (size_t)cap * sizeof *grown);
        if (grown) w->reports = grown, w->cap_reports = cap;
    }
    if (w->accepting && w->nreports < w->cap_reports) {
        w->reports[w->nreports++] = (scn_report){
            slot, r->err, r->partition, r->offset, r->timestamp, r->err ? -1 : latency,
            r->topic ? strdup(r->topic) : NULL, r->err && r->errstr ? strdup(r->errstr) : NULL};
        slot = NULL;
    }
    pthread_mutex_unlock(&w->lock);
    if (slot) release(slot); /* the worker is gone, or no memory: no hook for this one */
}

static void hook_error(kp_scn_worker *w, const char *what, const char *message) {
    kp_lua_hook_log_add(w->run->hooks, what, message);
    atomic_fetch_add(&w->run->stats.hook_errors, 1);
}

/* A hook's failure, its message (with traceback) on top of the stack. */
static void hook_failed(kp_scn_worker *w, const char *what) {
    hook_error(w, what, lua_tostring(w->L, -1));
    lua_pop(w->L, 1);
}

/* Calls delivered(worker, record, err, md) for every report queued for this worker. */
static void run_delivered(kp_scn_worker *w) {
    if (w->ref_delivered == LUA_NOREF) return;
    pthread_mutex_lock(&w->lock);
    scn_report *list = w->reports;
    int n = w->nreports;
    w->reports = NULL;
    w->nreports = w->cap_reports = 0;
    pthread_mutex_unlock(&w->lock);
    lua_State *L = w->L;
    for (int i = 0; i < n; i++) {
        scn_report *r = &list[i];
        int index = (int)(r->slot - w->slots) + 1;
        lua_rawgeti(L, LUA_REGISTRYINDEX, w->ref_delivered);
        lua_rawgeti(L, LUA_REGISTRYINDEX, w->ref_worker);
        lua_rawgeti(L, LUA_REGISTRYINDEX, w->ref_pending);
        lua_rawgeti(L, -1, index);
        lua_pushnil(L);
        lua_rawseti(L, -3, index);
        lua_remove(L, -2);
        if (r->err) lua_pushstring(L, r->errstr ? r->errstr : kp_err_name(r->err));
        else lua_pushnil(L);
        lua_createtable(L, 0, 8);
        lua_pushstring(L, r->topic ? r->topic : w->run->conf->topic);
        lua_setfield(L, -2, "topic");
        lua_pushinteger(L, r->partition);
        lua_setfield(L, -2, "partition");
        lua_pushnumber(L, (double)r->offset);
        lua_setfield(L, -2, "offset");
        lua_pushnumber(L, (double)r->timestamp);
        lua_setfield(L, -2, "timestamp");
        lua_pushnumber(L, (double)r->slot->seq);
        lua_setfield(L, -2, "seq");
        lua_pushinteger(L, r->err);
        lua_setfield(L, -2, "code");
        if (r->err) {
            lua_pushstring(L, kp_err_name(r->err));
            lua_setfield(L, -2, "error");
        } else {
            lua_pushnumber(L, (double)r->latency_us / 1000.0);
            lua_setfield(L, -2, "latency_ms");
        }
        release(r->slot);
        if (kp_lua_pcall(L, 4, 0)) hook_failed(w, "delivered");
        free(r->topic);
        free(r->errstr);
    }
    free(list);
}

static void poll_reports(kp_scn_worker *w, int timeout_ms) {
    kp_producer_poll(w->p, timeout_ms);
    run_delivered(w);
}

/* Waits for deadline_us while collecting delivery reports; returns early on stop. */
static void wait_until(kp_scn_worker *w, int64_t deadline_us) {
    for (;;) {
        int64_t left = deadline_us - kp_now_us();
        if (left <= 0 || atomic_load(&w->run->stop)) return;
        if (left <= 2000) {
            kp_scn_sleep_until(deadline_us);
            return;
        }
        int ms = (int)((left - 1000) / 1000);
        poll_reports(w, ms > 50 ? 50 : ms);
    }
}

/* The ring slot for the k-th record, waiting while its previous record is
 * still in flight. NULL when a forced stop ends the wait. */
static kp_scn_slot *take_slot(kp_scn_worker *w, int64_t k) {
    kp_scn_slot *slot = &w->slots[(uint64_t)k & (RING_SLOTS - 1)];
    while (atomic_load(&slot->busy)) {
        if (atomic_load(&w->run->stop) >= 2) return NULL;
        poll_reports(w, 1);
    }
    return slot;
}

/* ---- message()'s answers, from lua/kprod/scenario_worker.lua ----
 * Each call accounts the record at the cursor and moves the cursor on. */

static kp_scn_slot *cursor_slot(kp_scn_worker *w) {
    return &w->slots[(uint64_t)w->cursor++ & (RING_SLOTS - 1)];
}

/* Counts the record as sent: from here its slot waits for a delivery report. */
static void start_record(kp_scn_worker *w, kp_scn_slot *slot, int32_t key_len, int32_t value_len) {
    kp_scn_run *run = w->run;
    slot->bytes = (key_len > 0 ? key_len : 0) + (value_len > 0 ? value_len : 0);
    atomic_store(&slot->busy, 1);
    atomic_fetch_add(&w->outstanding, 1);
    if (slot->measured) atomic_fetch_add(&run->stats.sent, 1);
    atomic_fetch_add(&run->stats.all_sent, 1);
    slot->send_us = kp_now_us();
    if (!run->schedule.nseg) slot->intended_us = slot->send_us; /* flat out: no schedule */
}

/* A record refused before or at the send: reported at once, as the Java
 * callback is. */
static void refuse(kp_scn_slot *slot, int err, const char *errstr, const char *topic, int32_t partition) {
    kp_delivery_report r = {err, errstr, topic, partition, -1, -1, slot, 0, 0, 0};
    on_delivery(&r, slot);
}

void kp_scn_send(kp_scn_worker *w, const char *topic, const char *key, int32_t key_len,
                 const char *value, int32_t value_len, kp_lua_slice *slice,
                 const kp_header *headers, int32_t header_count, int32_t partition,
                 double timestamp) {
    const kp_scn_config *c = w->run->conf;
    int64_t k = w->cursor;
    kp_scn_slot *slot = cursor_slot(w);
    char err[512];
    if (!topic) topic = c->topic;
    if (!slice && value_len == KP_SCN_DEFAULT_VALUE)
        value = w->values + (k * 7919) % VALUE_SPREAD, value_len = c->size;
    start_record(w, slot, key_len, value_len);
    int64_t ts = (int64_t)timestamp;
    int rc = slice ? kp_producer_send_blob(w->p, topic, partition, key, key_len, slice->blob, slice->offset,
                                           value_len, kp_lua_slice_crc(slice), headers, header_count, ts,
                                           on_delivery, slot, err, sizeof err)
                   : kp_producer_send(w->p, topic, partition, key, key_len, value, value_len, headers,
                                      header_count, ts, on_delivery, slot, err, sizeof err);
    if (rc) refuse(slot, rc, err, topic, partition);
}

void kp_scn_bad_record(kp_scn_worker *w, const char *why) {
    kp_scn_run *run = w->run;
    kp_scn_slot *slot = cursor_slot(w);
    char err[512];
    snprintf(err, sizeof err, "message() returned a bad record: %s", why);
    kp_lua_hook_log_add(run->hooks, "message", err);
    start_record(w, slot, -1, -1);
    refuse(slot, KP_ERR__INVALID_ARG, err, run->conf->topic, KP_PARTITION_ANY);
}

void kp_scn_bad_answer(kp_scn_worker *w, const char *why) {
    w->cursor++;
    hook_error(w, "message", why);
}

void kp_scn_skip(kp_scn_worker *w) {
    if (cursor_slot(w)->measured) atomic_fetch_add(&w->run->stats.skipped, 1);
}

/* ---- the worker's life ---- */

/* A burst: records due now, sent by one call into Lua. Large enough to
 * spread that call's cost, small enough that stop and polling stay prompt. */
#define BURST_MAX 64

typedef struct burst {
    int64_t k; /* the worker's count of records before it */
    int n;
    double seq, stride; /* message()'s seq of its i-th record: seq + i * stride */
} burst;

/* The next burst at the schedule: waits for its first record, then takes
 * every record due by then. n = 0 at the end. */
static void plan_paced(kp_scn_worker *w, burst *b) {
    kp_scn_run *run = w->run;
    const kp_scn_config *c = run->conf;
    double first_measured = ceil(run->schedule.warmup_end);
    int64_t now = 0;
    b->seq = (double)(b->k * w->nglobal + w->global);
    b->stride = w->nglobal;
    for (b->n = 0; b->n < BURST_MAX; b->n++) {
        int64_t x = (b->k + b->n) * w->nglobal + w->global;
        double t = kp_scn_schedule_time(&run->schedule, (double)x);
        if (isinf(t)) break;
        int measured = (double)x >= first_measured;
        if (measured && c->messages && (double)x - first_measured >= (double)c->messages) break;
        int64_t intended = run->start_us + (int64_t)llround(t * 1e6);
        if (!b->n) {
            wait_until(w, intended);
            now = kp_now_us();
        } else if (intended > now) {
            break;
        }
        kp_scn_slot *slot = take_slot(w, b->k + b->n);
        if (!slot || atomic_load(&run->stop)) break;
        slot->measured = measured;
        slot->intended_us = intended;
        slot->seq = x;
    }
}

/* The next burst flat out: as many as BURST_MAX, its seqs claimed at once. */
static void plan_flat(kp_scn_worker *w, burst *b) {
    kp_scn_run *run = w->run;
    const kp_scn_config *c = run->conf;
    int64_t now = kp_now_us(), n = BURST_MAX;
    b->n = 0;
    if (run->end_us && now >= run->end_us) return;
    int measured = now >= run->warmup_end_us;
    if (measured && c->messages) {
        int64_t claimed = atomic_fetch_add(&run->measured_claimed, n);
        if (claimed >= c->messages) return;
        if (claimed + n > c->messages) n = c->messages - claimed;
    }
    b->seq = (double)(atomic_fetch_add(&run->next_seq, n) * c->instances + c->instance);
    b->stride = c->instances;
    for (; b->n < n; b->n++) {
        kp_scn_slot *slot = take_slot(w, b->k + b->n);
        if (!slot) break;
        slot->measured = measured;
        slot->seq = (int64_t)(b->seq + b->n * b->stride);
    }
}

/* Calls the burst function for b's records; a message() that raises costs
 * its record only (reported, counted), the burst goes on after it. */
static void send_burst(kp_scn_worker *w, const burst *b) {
    lua_State *L = w->L;
    int64_t end = b->k + b->n;
    w->cursor = b->k;
    while (w->cursor < end) {
        int64_t i = w->cursor - b->k;
        lua_rawgeti(L, LUA_REGISTRYINDEX, w->ref_burst);
        lua_pushnumber(L, b->seq + (double)i * b->stride);
        lua_pushnumber(L, b->stride);
        lua_pushnumber(L, (double)(b->n - i));
        lua_pushnumber(L, (double)w->cursor);
        if (!kp_lua_pcall(L, 4, 0)) continue;
        hook_failed(w, "message");
        w->cursor++;
    }
    w->cursor = end; /* also past records a forced stop left unplanned */
}

static void generate(kp_scn_worker *w) {
    kp_scn_run *run = w->run;
    int paced = run->schedule.nseg > 0;
    /* Flat out starts with everyone at the start too: a record sent before it
     * would go unmeasured though no warmup was asked for. */
    if (!paced) wait_until(w, run->start_us);
    burst b = {0};
    while (!atomic_load(&run->stop)) {
        if (paced) plan_paced(w, &b);
        else plan_flat(w, &b);
        if (!b.n) break;
        send_burst(w, &b);
        if (b.k / POLL_EVERY != (b.k + b.n) / POLL_EVERY) poll_reports(w, 0);
        b.k += b.n;
    }
    int64_t now = kp_now_us(), prev = atomic_load(&run->gen_end_us);
    while (now > prev && !atomic_compare_exchange_weak(&run->gen_end_us, &prev, now)) {
    }
}

/* Waits (up to flush_timeout) for this worker's records to be reported. */
static void finish(kp_scn_worker *w) {
    int64_t deadline = kp_now_us() + (int64_t)(w->run->conf->flush_timeout_s * 1e6);
    while (atomic_load(&w->outstanding) > 0 && kp_now_us() < deadline && atomic_load(&w->run->stop) < 2)
        poll_reports(w, 10);
    pthread_mutex_lock(&w->lock);
    w->accepting = 0;
    pthread_mutex_unlock(&w->lock);
    run_delivered(w); /* reports queued before accepting closed */
}

/* A reference to the function on top of the stack (popped), or LUA_NOREF. */
static int hook_ref_top(lua_State *L) {
    if (lua_isfunction(L, -1)) return luaL_ref(L, LUA_REGISTRYINDEX);
    lua_pop(L, 1);
    return LUA_NOREF;
}

static int hook_ref(lua_State *L, const char *name) {
    lua_getglobal(L, name);
    return hook_ref_top(L);
}

/* The burst function (see lua/kprod/scenario_worker.lua) as a reference;
 * LUA_NOREF, with the reason printed, when it cannot be made. */
static int burst_ref(kp_scn_worker *w) {
    lua_State *L = w->L;
    lua_getglobal(L, "require");
    lua_pushstring(L, "kprod.scenario_worker");
    if (kp_lua_pcall(L, 1, 1)) goto failed;
    lua_getfield(L, -1, "burst");
    lua_remove(L, -2);
    lua_pushlightuserdata(L, w);
    lua_rawgeti(L, LUA_REGISTRYINDEX, w->ref_worker);
    if (w->ref_message != LUA_NOREF) lua_rawgeti(L, LUA_REGISTRYINDEX, w->ref_message);
    else lua_pushnil(L);
    if (w->ref_delivered != LUA_NOREF) lua_rawgeti(L, LUA_REGISTRYINDEX, w->ref_pending);
    else lua_pushnil(L);
    lua_pushnumber(L, RING_SLOTS);
    if (kp_lua_pcall(L, 5, 1)) goto failed;
    return hook_ref_top(L);
failed:
    fprintf(stderr, "kprod run: worker %d cannot start: %s\n", w->id + 1, lua_tostring(L, -1));
    lua_pop(L, 1);
    return LUA_NOREF;
}

/* The worker table hooks receive: who this worker is and its share. */
static void push_worker(kp_scn_worker *w) {
    lua_State *L = w->L;
    const kp_scn_config *c = w->run->conf;
    lua_createtable(L, 0, 10);
    kp_scn_set_number(L, "id", w->id + 1);
    kp_scn_set_number(L, "index", w->global);
    kp_scn_set_number(L, "workers", c->workers);
    kp_scn_set_number(L, "instance", c->instance + 1);
    kp_scn_set_number(L, "instances", c->instances);
    kp_scn_set_number(L, "rate", c->rate / w->nglobal);
    kp_scn_set_number(L, "size", c->size);
    lua_pushstring(L, c->topic);
    lua_setfield(L, -2, "topic");
    if (luaL_newmetatable(L, "kprod.worker")) {
        lua_pushstring(L, "kprod.worker");
        lua_setfield(L, -2, "__name");
    }
    lua_setmetatable(L, -2);
}

/* Builds the Lua state, finds the hooks, calls init. 0, or -1 with the reason printed. */
static int prepare(kp_scn_worker *w) {
    const kp_scn_config *c = w->run->conf;
    int status;
    w->L = kp_cli_script_state(c->script, w->run->args, w->run->nargs, c->props, c->nprops,
                               c->brokers, &status);
    if (!w->L || status) return -1;
    lua_settop(w->L, 0);
    w->ref_init = hook_ref(w->L, "init");
    w->ref_message = hook_ref(w->L, "message");
    w->ref_delivered = hook_ref(w->L, "delivered");
    push_worker(w);
    w->ref_worker = luaL_ref(w->L, LUA_REGISTRYINDEX);
    lua_createtable(w->L, 0, 0);
    w->ref_pending = luaL_ref(w->L, LUA_REGISTRYINDEX);
    if ((w->ref_burst = burst_ref(w)) == LUA_NOREF) return -1;
    if (w->ref_init != LUA_NOREF) {
        lua_rawgeti(w->L, LUA_REGISTRYINDEX, w->ref_init);
        lua_rawgeti(w->L, LUA_REGISTRYINDEX, w->ref_worker);
        if (kp_lua_pcall(w->L, 1, 0)) {
            fprintf(stderr, "kprod run: init(worker %d) failed: %s\n", w->id + 1, lua_tostring(w->L, -1));
            return -1;
        }
    }
    return 0;
}

static void set_ready(kp_scn_worker *w, int ready) {
    pthread_mutex_lock(&w->run->go_lock);
    w->ready = ready;
    pthread_cond_broadcast(&w->run->go_cond);
    pthread_mutex_unlock(&w->run->go_lock);
}

static void *worker_main(void *arg) {
    kp_scn_worker *w = arg;
    pthread_setname_np(pthread_self(), "kprod-worker");
    kp_scn_run *run = w->run;
    if (prepare(w)) {
        set_ready(w, -1);
        atomic_fetch_sub(&run->alive, 1);
        return NULL;
    }
    set_ready(w, 1);
    pthread_mutex_lock(&run->go_lock);
    while (!atomic_load(&run->go)) pthread_cond_wait(&run->go_cond, &run->go_lock);
    pthread_mutex_unlock(&run->go_lock);
    if (atomic_load(&run->go) > 0) {
        generate(w);
        atomic_fetch_sub(&run->running, 1);
        finish(w);
    }
    atomic_fetch_sub(&run->alive, 1);
    return NULL;
}

kp_scn_worker *kp_scn_worker_start(kp_scn_run *run, int id, kp_producer *p) {
    kp_scn_worker *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    const kp_scn_config *c = run->conf;
    w->run = run;
    w->id = id;
    w->global = c->instance * c->workers + id;
    w->nglobal = c->instances * c->workers;
    w->p = p;
    w->accepting = 1;
    w->ref_init = w->ref_message = w->ref_delivered = w->ref_burst = LUA_NOREF;
    w->rng = 0x9e3779b9u ^ (uint32_t)w->global * 2654435761u;
    pthread_mutex_init(&w->lock, NULL);
    w->slots = calloc(RING_SLOTS, sizeof *w->slots);
    w->values = malloc((size_t)c->size + VALUE_SPREAD);
    if (!w->slots || !w->values) goto err;
    for (uint32_t i = 0; i < RING_SLOTS; i++) w->slots[i].w = w;
    kp_lua_random_fill(&w->rng, (uint8_t *)w->values, (size_t)c->size + VALUE_SPREAD);
    if (pthread_create(&w->thread, NULL, worker_main, w)) goto err;
    w->started = 1;
    return w;
err:
    kp_scn_worker_free(w);
    return NULL;
}

int kp_scn_worker_ready(kp_scn_worker *w) {
    pthread_mutex_lock(&w->run->go_lock);
    while (!w->ready) pthread_cond_wait(&w->run->go_cond, &w->run->go_lock);
    int ready = w->ready;
    pthread_mutex_unlock(&w->run->go_lock);
    return ready > 0 ? 0 : -1;
}

void kp_scn_worker_join(kp_scn_worker *w) {
    if (w && w->started) pthread_join(w->thread, NULL);
    if (w) w->started = 0;
}

void kp_scn_worker_free(kp_scn_worker *w) {
    if (!w) return;
    kp_scn_worker_join(w);
    if (w->L) lua_close(w->L);
    for (int i = 0; i < w->nreports; i++) {
        free(w->reports[i].topic);
        free(w->reports[i].errstr);
    }
    free(w->reports);
    free(w->values);
    free(w->slots);
    pthread_mutex_destroy(&w->lock);
    free(w);
}
