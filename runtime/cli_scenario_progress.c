/* cli_scenario_progress.c — a scenario's seconds: the live progress line,
 * the throughput timeline and the per-interval latency histograms. */
#include <lua.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli_scenario.h"
#include "kp_time.h"

typedef struct sample {
    double t, sent, acked, bytes, failed, p50, p99;
} sample;

struct kp_scn_progress {
    kp_scn_run *run;
    kp_producer **producers;
    int nproducers;
    int64_t last_us, last_acked, last_bytes, last_failed; /* warmup included: the live line */
    int64_t m_sent, m_acked, m_bytes, m_failed;           /* measured only: the timeline */
    kp_hdr *snapshot, *interval;
    sample *timeline;
    int n, cap;
    FILE *log;
};

kp_scn_progress *kp_scn_progress_new(kp_scn_run *run, kp_producer **producers, int nproducers,
                                     char *errstr, size_t errlen) {
    kp_scn_progress *pr = calloc(1, sizeof *pr);
    if (!pr || !(pr->snapshot = kp_hdr_new_latency()) || !(pr->interval = kp_hdr_new_latency())) {
        snprintf(errstr, errlen, "out of memory");
        goto err;
    }
    pr->run = run;
    pr->producers = producers;
    pr->nproducers = nproducers;
    pr->last_us = run->start_us;
    const char *path = run->conf->hdr_log_path;
    if (path) {
        if (!(pr->log = fopen(path, "w"))) {
            snprintf(errstr, errlen, "--hdr-log %s: cannot open for writing", path);
            goto err;
        }
        /* The log's time 0 is the end of the warmup, when measuring starts. */
        double epoch = (double)kp_wallclock_ms() / 1e3 + (double)(run->warmup_end_us - kp_now_us()) / 1e6;
        kp_hdr_log_header(pr->log, epoch, "kprod: latency in us, intended send time to acknowledgement");
    }
    return pr;
err:
    kp_scn_progress_free(pr);
    return NULL;
}

static void add_sample(kp_scn_progress *pr, sample s) {
    if (pr->n == pr->cap) {
        int cap = pr->cap ? pr->cap * 2 : 64;
        sample *grown = realloc(pr->timeline, (size_t)cap * sizeof *grown);
        if (!grown) return;
        pr->timeline = grown;
        pr->cap = cap;
    }
    pr->timeline[pr->n++] = s;
}

void kp_scn_progress_tick(kp_scn_progress *pr, int64_t now_us) {
    kp_scn_run *run = pr->run;
    kp_scn_stats *st = &run->stats;
    double dt = (double)(now_us - pr->last_us) / 1e6;
    if (dt <= 0) return;
    int64_t acked = atomic_load(&st->all_acked), bytes = atomic_load(&st->all_bytes);
    int64_t failed = atomic_load(&st->all_failed);
    int warmup = now_us <= run->warmup_end_us;
    if (!warmup) {
        /* This interval's histogram: the total now minus the last snapshot. */
        kp_hdr *total = st->hist[KP_SCN_TOTAL];
        kp_hdr_copy(pr->interval, total);
        kp_hdr_subtract(pr->interval, pr->snapshot);
        kp_hdr_copy(pr->snapshot, total);
        int64_t m_sent = atomic_load(&st->sent), m_acked = atomic_load(&st->acked);
        int64_t m_bytes = atomic_load(&st->bytes), m_failed = atomic_load(&st->failed);
        double t = (double)(now_us - run->warmup_end_us) / 1e6;
        double idt = t < dt ? t : dt;
        add_sample(pr, (sample){t, (double)(m_sent - pr->m_sent) / idt, (double)(m_acked - pr->m_acked) / idt,
                                (double)(m_bytes - pr->m_bytes) / idt, (double)(m_failed - pr->m_failed),
                                (double)kp_hdr_percentile(pr->interval, 50) / 1e3,
                                (double)kp_hdr_percentile(pr->interval, 99) / 1e3});
        if (pr->log) kp_hdr_log_interval(pr->log, NULL, t - idt, idt, pr->interval);
        pr->m_sent = m_sent, pr->m_acked = m_acked, pr->m_bytes = m_bytes, pr->m_failed = m_failed;
    }
    if (!run->conf->quiet) {
        int64_t inflight = 0, buffered = 0, limit = 0;
        for (int i = 0; i < pr->nproducers; i++) {
            kp_metrics m;
            kp_producer_metrics(pr->producers[i], &m);
            inflight += m.in_flight_records;
            buffered += m.buffer_bytes;
            limit += m.buffer_limit;
        }
        const kp_hdr *h = st->hist[KP_SCN_TOTAL];
        fprintf(stderr,
                "kprod: %s%6.1fs  %8.0f rec/s  %7.2f MB/s  acked %lld  errors %lld  p50 %.2fms  p99 %.2fms"
                "  in-flight %lld  buffer %.1f%%\n",
                warmup ? "warmup " : "", (double)(now_us - (warmup ? run->start_us : run->warmup_end_us)) / 1e6,
                (double)(acked - pr->last_acked) / dt, (double)(bytes - pr->last_bytes) / dt / 1e6,
                (long long)atomic_load(&st->acked), (long long)failed,
                (double)kp_hdr_percentile(h, 50) / 1e3, (double)kp_hdr_percentile(h, 99) / 1e3,
                (long long)inflight, limit ? 100.0 * (double)buffered / (double)limit : 0.0);
    }
    pr->last_us = now_us;
    pr->last_acked = acked, pr->last_bytes = bytes, pr->last_failed = failed;
}

void kp_scn_progress_push_timeline(kp_scn_progress *pr, lua_State *L) {
    lua_createtable(L, pr->n, 0);
    for (int i = 0; i < pr->n; i++) {
        sample *s = &pr->timeline[i];
        lua_createtable(L, 0, 7);
        kp_scn_set_number(L, "t", s->t);
        kp_scn_set_number(L, "sent_per_sec", s->sent);
        kp_scn_set_number(L, "records_per_sec", s->acked);
        kp_scn_set_number(L, "bytes_per_sec", s->bytes);
        kp_scn_set_number(L, "failed", s->failed);
        kp_scn_set_number(L, "p50_ms", s->p50);
        kp_scn_set_number(L, "p99_ms", s->p99);
        lua_rawseti(L, -2, i + 1);
    }
}

void kp_scn_progress_free(kp_scn_progress *pr) {
    if (!pr) return;
    if (pr->log) fclose(pr->log);
    kp_hdr_free(pr->snapshot);
    kp_hdr_free(pr->interval);
    free(pr->timeline);
    free(pr);
}
