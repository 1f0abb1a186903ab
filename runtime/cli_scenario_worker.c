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
/* What LuaJIT's lua_type() returns for cdata (lj_obj.h; lua.h has no name for it). */
#define LUAJIT_TCDATA 10

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
    int ref_is_slice; /* kprod.blob.is_slice, or LUA_NOREF */
    kp_scn_slot *slots;
    _Atomic int64_t outstanding;
    pthread_mutex_t lock; /* guards reports and accepting */
    scn_report *reports;
    int nreports, cap_reports, accepting;
    char *values;
    kp_header *headers;
    int cap_headers;
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

static void hook_failed(kp_scn_worker *w, const char *what) {
    kp_lua_hook_log_add(w->run->hooks, what, lua_tostring(w->L, -1));
    atomic_fetch_add(&w->run->stats.hook_errors, 1);
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

/* ---- from message()'s answer to kp_producer_send ---- */

/* A string field of the record at idx: 1 with *p and *len set (numbers count
 * as strings), 0 when nil, 2 when false, -1 for another type. A string
 * stays alive after the pop: the record table holds it. */
static int string_field(lua_State *L, int idx, const char *name, const char **p, int32_t *len) {
    lua_getfield(L, idx, name);
    int t = lua_type(L, -1), rc = -1;
    *p = NULL;
    *len = -1;
    if (t == LUA_TSTRING || t == LUA_TNUMBER) {
        size_t n = 0;
        *p = lua_tolstring(L, -1, &n);
        *len = (int32_t)n;
        rc = 1;
    } else if (t == LUA_TNIL) {
        rc = 0;
    } else if (t == LUA_TBOOLEAN && !lua_toboolean(L, -1)) {
        rc = 2;
    }
    lua_pop(L, 1);
    return rc;
}

/* The kprod.blob slice at (absolute) idx, or NULL for anything else. The
 * slice stays alive while whatever holds it is on the stack. */
static kp_lua_slice *slice_at(kp_scn_worker *w, int idx) {
    lua_State *L = w->L;
    if (lua_type(L, idx) != LUAJIT_TCDATA || w->ref_is_slice == LUA_NOREF) return NULL;
    lua_rawgeti(L, LUA_REGISTRYINDEX, w->ref_is_slice);
    lua_pushvalue(L, idx);
    lua_call(L, 1, 1); /* a type test: cannot raise */
    kp_lua_slice *slice = lua_toboolean(L, -1) ? (kp_lua_slice *)lua_topointer(L, idx) : NULL;
    lua_pop(L, 1);
    return slice;
}

static int fill_headers(kp_scn_worker *w, lua_State *L, int idx, int *n, const char **why) {
    lua_getfield(L, idx, "headers");
    int h = lua_gettop(L);
    *n = 0;
    if (lua_isnil(L, h)) goto done;
    if (!lua_istable(L, h)) {
        *why = "'headers' must be a table of name = value or a list of {name, value}";
        goto bad;
    }
    lua_rawgeti(L, h, 1);
    int list = !lua_isnil(L, -1);
    lua_pop(L, 1);
    lua_pushnil(L);
    while (lua_next(L, h)) {
        if (*n == w->cap_headers) {
            int cap = w->cap_headers ? w->cap_headers * 2 : 8;
            kp_header *grown = realloc(w->headers, (size_t)cap * sizeof *grown);
            if (!grown) {
                lua_pop(L, 2);
                *why = "out of memory";
                goto bad;
            }
            w->headers = grown, w->cap_headers = cap;
        }
        if (list) {
            if (!lua_istable(L, -1)) {
                lua_pop(L, 2);
                *why = "'headers' list entries must be {name, value}";
                goto bad;
            }
            lua_rawgeti(L, -1, 1);
            lua_rawgeti(L, -2, 2);
        } else {
            lua_pushvalue(L, -2);
            lua_pushvalue(L, -2);
        }
        size_t kl = 0, vl = 0;
        const char *k = lua_type(L, -2) == LUA_TSTRING ? lua_tolstring(L, -2, &kl) : NULL;
        const char *v = lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, &vl) : NULL;
        if (!k || (!v && !lua_isnil(L, -1))) {
            lua_pop(L, 4);
            *why = "'headers' names and values must be strings";
            goto bad;
        }
        /* The strings stay referenced by the headers table until the send. */
        w->headers[(*n)++] = (kp_header){k, (int32_t)kl, v, v ? (int32_t)vl : -1};
        lua_pop(L, 3);
    }
done:
    lua_settop(L, h - 1);
    return 0;
bad:
    lua_settop(L, h - 1);
    return -1;
}

/* Sends the record message() left at the top of the stack (a table, a
 * value string, or nil to skip). The record stays on the stack during the send. */
static void send_record(kp_scn_worker *w, kp_scn_slot *slot, int64_t k) {
    lua_State *L = w->L;
    kp_scn_run *run = w->run;
    const kp_scn_config *c = run->conf;
    int idx = lua_gettop(L), nh = 0;
    const char *topic = c->topic, *key = NULL, *value = w->values + (k * 7919) % VALUE_SPREAD, *why = NULL;
    int32_t klen = -1, vlen = c->size, tlen, partition = KP_PARTITION_ANY;
    int64_t ts = 0;
    kp_lua_slice *slice = NULL; /* a value sent by reference */
    char err[512];
    if (lua_isnil(L, idx)) {
        if (slot->measured) atomic_fetch_add(&run->stats.skipped, 1);
        return;
    }
    if (lua_type(L, idx) == LUA_TSTRING) {
        size_t n;
        value = lua_tolstring(L, idx, &n);
        vlen = (int32_t)n;
    } else if ((slice = slice_at(w, idx))) {
        vlen = slice->len;
    } else if (!lua_istable(L, idx)) {
        lua_pushfstring(L, "message() returned a %s: expected a record table, a value string, "
                           "a kprod.blob slice or nil",
                        luaL_typename(L, idx));
        hook_failed(w, "message");
        return;
    } else {
        const char *v;
        int32_t n;
        int has;
        if ((has = string_field(L, idx, "topic", &v, &tlen)) < 0 || has == 2 || (v && !tlen))
            why = "'topic' must be a non-empty string";
        else if (v) topic = v;
        if (!why && ((has = string_field(L, idx, "key", &key, &klen)) < 0 || has == 2))
            why = "'key' must be a string or nil";
        lua_getfield(L, idx, "value");
        slice = slice_at(w, lua_gettop(L));
        lua_pop(L, 1); /* the record table holds the slice */
        if (slice) vlen = slice->len;
        else if (!why && (has = string_field(L, idx, "value", &v, &n)) < 0)
            why = "'value' must be a string, a kprod.blob slice, nil (--size random bytes) or false (null)";
        else if (!why && has) value = v, vlen = n; /* false: NULL, -1 */
        lua_getfield(L, idx, "partition");
        lua_getfield(L, idx, "timestamp");
        double pn = lua_tonumber(L, -2), tn = lua_tonumber(L, -1);
        if (!why && !lua_isnil(L, -2) && (lua_type(L, -2) != LUA_TNUMBER || pn < 0 || pn != floor(pn) || pn > INT32_MAX))
            why = "'partition' must be a partition number or nil";
        else if (!lua_isnil(L, -2)) partition = (int32_t)pn;
        if (!why && !lua_isnil(L, -1) && (lua_type(L, -1) != LUA_TNUMBER || tn < 0))
            why = "'timestamp' must be milliseconds since the epoch or nil";
        else ts = (int64_t)tn;
        lua_pop(L, 2);
        if (!why) fill_headers(w, L, idx, &nh, &why);
    }
    if (w->ref_delivered != LUA_NOREF) { /* kept for delivered() */
        lua_rawgeti(L, LUA_REGISTRYINDEX, w->ref_pending);
        lua_pushvalue(L, idx);
        lua_rawseti(L, -2, (int)(slot - w->slots) + 1);
        lua_pop(L, 1);
    }
    slot->bytes = (klen > 0 ? klen : 0) + (vlen > 0 ? vlen : 0);
    atomic_store(&slot->busy, 1);
    atomic_fetch_add(&w->outstanding, 1);
    if (slot->measured) atomic_fetch_add(&run->stats.sent, 1);
    atomic_fetch_add(&run->stats.all_sent, 1);
    slot->send_us = kp_now_us();
    int rc;
    if (why) {
        snprintf(err, sizeof err, "message() returned a bad record: %s", why);
        kp_lua_hook_log_add(run->hooks, "message", err);
        rc = KP_ERR__INVALID_ARG;
    } else if (slice) {
        rc = kp_producer_send_blob(w->p, topic, partition, key, klen, slice->blob, slice->offset, vlen,
                                   kp_lua_slice_crc(slice), w->headers, nh, ts, on_delivery, slot,
                                   err, sizeof err);
    } else {
        rc = kp_producer_send(w->p, topic, partition, key, klen, value, vlen, w->headers, nh, ts,
                              on_delivery, slot, err, sizeof err);
    }
    if (rc) { /* refused at send: reported at once, as the Java callback is */
        kp_delivery_report r = {rc, err, topic, partition, -1, -1, slot, 0, 0, 0};
        on_delivery(&r, slot);
    }
}

/* ---- the worker's life ---- */

static void generate(kp_scn_worker *w) {
    kp_scn_run *run = w->run;
    const kp_scn_config *c = run->conf;
    lua_State *L = w->L;
    int paced = run->schedule.nseg > 0;
    double first_measured = ceil(run->schedule.warmup_end);
    /* Flat out starts with everyone at the start too: a record sent before it
     * would go unmeasured though no warmup was asked for. */
    if (!paced) wait_until(w, run->start_us);
    for (int64_t k = 0; !atomic_load(&run->stop); k++) {
        int64_t x, intended;
        int measured;
        if (paced) {
            x = k * w->nglobal + w->global;
            double t = kp_scn_schedule_time(&run->schedule, (double)x);
            if (isinf(t)) break;
            measured = (double)x >= first_measured;
            if (measured && c->messages && (double)x - first_measured >= (double)c->messages) break;
            intended = run->start_us + (int64_t)llround(t * 1e6);
            wait_until(w, intended);
            if (atomic_load(&run->stop)) break;
        } else {
            intended = kp_now_us();
            if (run->end_us && intended >= run->end_us) break;
            measured = intended >= run->warmup_end_us;
            if (measured && c->messages && atomic_fetch_add(&run->measured_claimed, 1) >= c->messages) break;
            x = atomic_fetch_add(&run->next_seq, 1) * c->instances + c->instance;
        }
        kp_scn_slot *slot = take_slot(w, k);
        if (!slot) break;
        slot->measured = measured;
        slot->intended_us = intended;
        slot->seq = x;
        if (w->ref_message != LUA_NOREF) {
            lua_rawgeti(L, LUA_REGISTRYINDEX, w->ref_message);
            lua_rawgeti(L, LUA_REGISTRYINDEX, w->ref_worker);
            lua_pushnumber(L, (double)x);
            if (kp_lua_pcall(L, 2, 1)) {
                hook_failed(w, "message");
                continue;
            }
        } else {
            lua_createtable(L, 0, 0); /* the default record */
        }
        send_record(w, slot, k);
        lua_settop(L, 0);
        if (k % POLL_EVERY == POLL_EVERY - 1) poll_reports(w, 0);
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

/* A reference to kprod.blob.is_slice, or LUA_NOREF when the module does not load. */
static int slice_test_ref(lua_State *L) {
    lua_getglobal(L, "require");
    lua_pushstring(L, "kprod.blob");
    if (lua_pcall(L, 1, 1, 0)) {
        lua_pop(L, 1);
        return LUA_NOREF;
    }
    lua_getfield(L, -1, "is_slice");
    lua_remove(L, -2);
    return hook_ref_top(L);
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
    w->ref_is_slice = slice_test_ref(w->L);
    push_worker(w);
    w->ref_worker = luaL_ref(w->L, LUA_REGISTRYINDEX);
    lua_createtable(w->L, 0, 0);
    w->ref_pending = luaL_ref(w->L, LUA_REGISTRYINDEX);
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
    w->ref_init = w->ref_message = w->ref_delivered = w->ref_is_slice = LUA_NOREF;
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
    free(w->headers);
    free(w->values);
    free(w->slots);
    pthread_mutex_destroy(&w->lock);
    free(w);
}
