/* kp_lua_producer.c — the producer behind the Lua API: sends from the FFI and
 * delivery reports queued for Lua callbacks instead of calling into Lua per record. */
#include <stdlib.h>
#include <string.h>

#include "kp_err.h"
#include "kp_lua.h"

#define SENDS_PER_POLL 256

/* Delivery callbacks run inside kp_producer_poll/flush/close on this thread;
 * the wrappers below say which producer's queue they report into. */
static _Thread_local kp_lua_producer *report_sink;

static int grow(void **p, size_t elem, size_t need, size_t *cap) {
    if (need <= *cap) return 0;
    size_t n = *cap ? *cap : 64;
    while (n < need) n *= 2;
    void *q = realloc(*p, n * elem);
    if (!q) return -1;
    *p = q;
    *cap = n;
    return 0;
}

static void collect(const kp_delivery_report *r, void *opaque) {
    kp_lua_producer *lp = report_sink;
    if (!lp) return; /* closing from the finaliser: nobody is left to tell */
    if (lp->head == lp->count) lp->head = lp->count = 0, lp->errs_len = 0;
    size_t cap = (size_t)lp->cap;
    size_t elen = r->err && r->errstr ? strlen(r->errstr) : 0;
    if (grow((void **)&lp->reports, sizeof *lp->reports, (size_t)lp->count + 1, &cap) ||
        grow((void **)&lp->errs, 1, lp->errs_len + elen + 1, &lp->errs_cap)) {
        lp->oom = 1;
        return;
    }
    lp->cap = (int32_t)cap;
    kp_lua_report *q = &lp->reports[lp->count++];
    q->id = (int32_t)(intptr_t)opaque;
    q->err = r->err;
    q->partition = r->partition;
    q->offset = r->offset;
    q->timestamp = r->timestamp;
    q->errstr_off = (int64_t)lp->errs_len;
    q->errstr_len = (int32_t)elen;
    memcpy(lp->errs + lp->errs_len, r->err && r->errstr ? r->errstr : "", elen + 1);
    lp->errs_len += elen;
}

kp_lua_producer *kp_lua_producer_new(kp_conf *conf, char *errstr, size_t errlen) {
    kp_lua_producer *lp = calloc(1, sizeof *lp);
    if (!lp || !(lp->hooks = kp_lua_hook_log_new())) {
        free(lp);
        kp_conf_free(conf);
        snprintf(errstr, errlen, "out of memory");
        return NULL;
    }
    lp->producer = kp_producer_new(conf, errstr, errlen);
    if (!lp->producer) {
        kp_lua_hook_log_free(lp->hooks);
        free(lp);
        return NULL;
    }
    /* `kprod run`'s SIGINT/SIGTERM end a send blocked for metadata or memory. */
    kp_producer_set_interrupt_check(lp->producer, kp_lua_interrupted);
    return lp;
}

/* Runs fn(p, arg) with this producer's queue as the report sink, restoring
 * the previous sink so a callback may drive another producer. */
static int with_sink(kp_lua_producer *lp, int (*fn)(kp_producer *, int), int arg) {
    kp_lua_producer *saved = report_sink;
    report_sink = lp;
    int rc = fn(lp->producer, arg);
    report_sink = saved;
    return rc;
}

/* After every send: collect due reports now and then (see kp_lua_producer_send). */
static int after_send(kp_lua_producer *lp, int rc) {
    if (++lp->sends_since_poll >= SENDS_PER_POLL) {
        lp->sends_since_poll = 0;
        with_sink(lp, kp_producer_poll, 0);
    }
    return rc;
}

int kp_lua_producer_send(kp_lua_producer *lp, const char *topic, int32_t partition,
                         const void *key, int32_t key_len, const void *value, int32_t value_len,
                         const kp_header *headers, int header_count, int64_t timestamp,
                         int32_t id, char *errstr, size_t errlen) {
    if (!lp->producer) {
        snprintf(errstr, errlen, "producer is closed");
        return KP_ERR__DESTROY;
    }
    return after_send(lp, kp_producer_send(lp->producer, topic, partition, key, key_len, value,
                                           value_len, headers, header_count, timestamp,
                                           id > 0 ? collect : NULL, (void *)(intptr_t)id, errstr,
                                           errlen));
}

const kp_crc32c_piece *kp_lua_slice_crc(kp_lua_slice *s) {
    /* A value copied into its batch needs no piece; a range outside the
     * blob is refused by the send before any byte is read. */
    if (!kp_blob_sent_by_reference(s->len) || !kp_blob_holds(s->blob, s->offset, s->len)) return NULL;
    if (!s->has_crc) {
        s->crc = kp_crc32c_piece_of(s->blob->data + s->offset, (size_t)s->len);
        s->has_crc = 1;
    }
    return &s->crc;
}

int kp_lua_producer_send_slice(kp_lua_producer *lp, const char *topic, int32_t partition,
                               const void *key, int32_t key_len, kp_lua_slice *slice,
                               const kp_header *headers, int header_count, int64_t timestamp,
                               int32_t id, char *errstr, size_t errlen) {
    if (!lp->producer) {
        snprintf(errstr, errlen, "producer is closed");
        return KP_ERR__DESTROY;
    }
    return after_send(lp, kp_producer_send_blob(lp->producer, topic, partition, key, key_len,
                                                slice->blob, slice->offset, slice->len,
                                                kp_lua_slice_crc(slice), headers, header_count,
                                                timestamp, id > 0 ? collect : NULL,
                                                (void *)(intptr_t)id, errstr, errlen));
}

int kp_lua_producer_poll(kp_lua_producer *lp, int timeout_ms) {
    return lp->producer ? with_sink(lp, kp_producer_poll, timeout_ms) : 0;
}

int kp_lua_producer_flush(kp_lua_producer *lp, int timeout_ms) {
    return lp->producer ? with_sink(lp, kp_producer_flush, timeout_ms) : 0;
}

int kp_lua_producer_close(kp_lua_producer *lp, int timeout_ms) {
    if (!lp->producer) return 0;
    int rc = with_sink(lp, kp_producer_close, timeout_ms);
    lp->producer = NULL;
    kp_lua_retry_free(lp->retry); /* the sender thread has exited */
    lp->retry = NULL;
    return rc;
}

void kp_lua_producer_end(kp_lua_producer *lp) {
    kp_lua_hook_log_free(lp->hooks);
    lp->hooks = NULL;
}

void kp_lua_producer_free(kp_lua_producer *lp) {
    if (!lp) return;
    if (lp->producer) {
        kp_lua_producer *saved = report_sink;
        report_sink = NULL;
        kp_lua_producer_close(lp, 0);
        report_sink = saved;
    }
    kp_lua_producer_end(lp);
    free(lp->reports);
    free(lp->errs);
    free(lp);
}

int32_t kp_lua_producer_partition_count(kp_lua_producer *lp, const char *topic, int timeout_ms) {
    if (!lp->producer) return KP_ERR__DESTROY;
    return kp_producer_partition_count(lp->producer, topic, timeout_ms);
}

void kp_lua_producer_hook_error(kp_lua_producer *lp, const char *what, const char *message) {
    kp_lua_hook_log_add(lp->hooks, what, message);
}

int kp_lua_producer_set_retry(kp_lua_producer *lp, const char *bytecode, size_t bytecode_len,
                              const char *prelude, size_t prelude_len, char *errstr,
                              size_t errlen) {
    if (!lp->producer) {
        snprintf(errstr, errlen, "producer is closed");
        return -1;
    }
    kp_lua_retry *r = kp_lua_retry_new(bytecode, bytecode_len, prelude, prelude_len, lp->hooks,
                                       errstr, errlen);
    if (!r) return -1;
    kp_producer_set_retry_policy(lp->producer, kp_lua_retry_decide, r);
    kp_lua_retry_free(lp->retry);
    lp->retry = r;
    return 0;
}

/* ---- metrics ---- */

static const char *const metric_names[] = {
    "sent", "acked", "failed", "retried", "batches", "batches_retried", "batches_split",
    "batches_expired", "bytes", "requests", "responses", "request_latency_avg_ms",
    "request_latency_max_ms", "inflight_requests", "inflight", "outstanding", "buffer_bytes",
    "buffer_limit", "metadata_requests", "epoch_bumps", "gap_retries", "partition_inflight_max",
    "batches_compressed_by_threads", "backlog_waits", "hook_errors", "reports_lost"};

int kp_lua_metric_count(void) { return (int)(sizeof metric_names / sizeof *metric_names); }

const char *kp_lua_metric_name(int i) {
    return i >= 0 && i < kp_lua_metric_count() ? metric_names[i] : NULL;
}

void kp_lua_producer_metrics(kp_lua_producer *lp, double *out) {
    memset(out, 0, sizeof(double) * (size_t)kp_lua_metric_count());
    out[kp_lua_metric_count() - 2] = (double)kp_lua_hook_log_count(lp->hooks);
    if (!lp->producer) return;
    kp_metrics m;
    kp_producer_metrics(lp->producer, &m);
    double v[] = {(double)m.records_sent, (double)m.records_acked, (double)m.records_failed,
                  (double)m.records_retried, (double)m.batches_sent, (double)m.batches_retried,
                  (double)m.batches_split, (double)m.batches_expired, (double)m.bytes_sent,
                  (double)m.requests, (double)m.responses, m.request_latency_avg_ms,
                  m.request_latency_max_ms, (double)m.in_flight_requests,
                  (double)m.in_flight_records, (double)m.outstanding_records,
                  (double)m.buffer_bytes, (double)m.buffer_limit, (double)m.metadata_requests,
                  (double)m.epoch_bumps, (double)m.gap_retries, (double)m.partition_in_flight_max,
                  (double)m.batches_compressed_by_threads, (double)m.backlog_waits,
                  (double)kp_lua_hook_log_count(lp->hooks),
                  (double)lp->oom};
    _Static_assert(sizeof v / sizeof *v == sizeof metric_names / sizeof *metric_names,
                   "one value per metric name");
    memcpy(out, v, sizeof v);
}
