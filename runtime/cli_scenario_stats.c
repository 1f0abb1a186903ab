/* cli_scenario_stats.c — a scenario's shared results: latency histograms and
 * counters any thread records into, and per-thread tallies of errors and
 * partitions (no lock per record) merged when the run ends. */
#include <lauxlib.h>
#include <lua.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_scenario.h"
#include "kp_err.h"

const char *const kp_scn_hist_names[KP_SCN_NHIST] = {"total", "uncorrected", "queue", "wire"};

#define MAX_ERROR_CODES 64

typedef struct topic_count {
    char *name;
    int64_t *counts;
    int32_t cap;
} topic_count;

struct kp_scn_tally {
    kp_scn_stats *owner;
    struct { int code; int64_t n; } errors[MAX_ERROR_CODES];
    int nerrors;
    topic_count *topics;
    int ntopics, last;
};

static _Thread_local kp_scn_tally *thread_tally;

int kp_scn_stats_init(kp_scn_stats *s) {
    memset(s, 0, sizeof *s);
    pthread_mutex_init(&s->lock, NULL);
    for (int i = 0; i < KP_SCN_NHIST; i++)
        if (!(s->hist[i] = kp_hdr_new_latency())) return -1;
    return 0;
}

void kp_scn_stats_free(kp_scn_stats *s) {
    for (int i = 0; i < KP_SCN_NHIST; i++) kp_hdr_free(s->hist[i]);
    for (int i = 0; i < s->ntallies; i++) {
        kp_scn_tally *t = s->tallies[i];
        for (int j = 0; j < t->ntopics; j++) {
            free(t->topics[j].name);
            free(t->topics[j].counts);
        }
        free(t->topics);
        free(t);
    }
    free(s->tallies);
    pthread_mutex_destroy(&s->lock);
}

kp_scn_tally *kp_scn_tally_get(kp_scn_stats *s) {
    if (thread_tally && thread_tally->owner == s) return thread_tally;
    kp_scn_tally *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->owner = s;
    pthread_mutex_lock(&s->lock);
    kp_scn_tally **grown = realloc(s->tallies, (size_t)(s->ntallies + 1) * sizeof *grown);
    if (grown) {
        s->tallies = grown;
        s->tallies[s->ntallies++] = t;
    }
    pthread_mutex_unlock(&s->lock);
    if (!grown) {
        free(t);
        return NULL;
    }
    return thread_tally = t;
}

void kp_scn_tally_error(kp_scn_tally *t, int code) {
    if (!t) return;
    int i = 0;
    while (i < t->nerrors && t->errors[i].code != code) i++;
    if (i == MAX_ERROR_CODES) i = MAX_ERROR_CODES - 1, code = KP_ERR__FAIL; /* never in practice */
    if (i == t->nerrors) t->errors[t->nerrors++].code = code;
    t->errors[i].n++;
}

void kp_scn_tally_partition(kp_scn_tally *t, const char *topic, int32_t partition) {
    if (!t || partition < 0 || !topic) return;
    int i = t->last;
    if (i >= t->ntopics || strcmp(t->topics[i].name, topic)) {
        for (i = 0; i < t->ntopics && strcmp(t->topics[i].name, topic); i++) {
        }
        if (i == t->ntopics) {
            topic_count *grown = realloc(t->topics, (size_t)(t->ntopics + 1) * sizeof *grown);
            if (!grown) return;
            t->topics = grown;
            t->topics[i] = (topic_count){strdup(topic), NULL, 0};
            if (!t->topics[i].name) return;
            t->ntopics++;
        }
        t->last = i;
    }
    topic_count *tc = &t->topics[i];
    if (partition >= tc->cap) {
        int32_t cap = partition + 16;
        int64_t *grown = realloc(tc->counts, (size_t)cap * sizeof *grown);
        if (!grown) return;
        memset(grown + tc->cap, 0, (size_t)(cap - tc->cap) * sizeof *grown);
        tc->counts = grown;
        tc->cap = cap;
    }
    tc->counts[partition]++;
}

/* Adds n to t[key] (a number field of the table at the top). */
static void add_field(lua_State *L, const char *key, int64_t n) {
    lua_getfield(L, -1, key);
    double have = lua_tonumber(L, -1);
    lua_pop(L, 1);
    lua_pushnumber(L, have + (double)n);
    lua_setfield(L, -2, key);
}

void kp_scn_stats_push_errors(kp_scn_stats *s, lua_State *L) {
    lua_newtable(L);
    pthread_mutex_lock(&s->lock);
    for (int i = 0; i < s->ntallies; i++)
        for (int j = 0; j < s->tallies[i]->nerrors; j++)
            add_field(L, kp_err_name(s->tallies[i]->errors[j].code), s->tallies[i]->errors[j].n);
    pthread_mutex_unlock(&s->lock);
}

void kp_scn_stats_push_partitions(kp_scn_stats *s, lua_State *L) {
    lua_newtable(L);
    pthread_mutex_lock(&s->lock);
    for (int i = 0; i < s->ntallies; i++) {
        kp_scn_tally *t = s->tallies[i];
        for (int j = 0; j < t->ntopics; j++) {
            lua_getfield(L, -1, t->topics[j].name);
            if (lua_isnil(L, -1)) {
                lua_pop(L, 1);
                lua_newtable(L);
                lua_pushvalue(L, -1);
                lua_setfield(L, -3, t->topics[j].name);
            }
            for (int32_t p = 0; p < t->topics[j].cap; p++) {
                if (!t->topics[j].counts[p]) continue;
                char key[16];
                snprintf(key, sizeof key, "%d", p);
                add_field(L, key, t->topics[j].counts[p]);
            }
            lua_pop(L, 1);
        }
    }
    pthread_mutex_unlock(&s->lock);
}

void kp_scn_set_number(lua_State *L, const char *key, double v) {
    lua_pushnumber(L, v);
    lua_setfield(L, -2, key);
}

void kp_scn_push_latency(const kp_hdr *h, lua_State *L) {
    static const struct { const char *k; double p; } pct[] = {
        {"p50", 50}, {"p90", 90}, {"p99", 99}, {"p999", 99.9}, {"p9999", 99.99}};
    lua_createtable(L, 0, 9);
    for (size_t i = 0; i < sizeof pct / sizeof *pct; i++)
        kp_scn_set_number(L, pct[i].k, (double)kp_hdr_percentile(h, pct[i].p) / 1000.0);
    kp_scn_set_number(L, "max", (double)kp_hdr_max(h) / 1000.0);
    kp_scn_set_number(L, "min", (double)kp_hdr_min(h) / 1000.0);
    kp_scn_set_number(L, "mean", kp_hdr_mean(h) / 1000.0);
    kp_scn_set_number(L, "count", (double)kp_hdr_total(h));
}
