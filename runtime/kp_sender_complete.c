/* kp_sender_complete.c — Produce responses (Java's completeBatch): success,
 * retry with backoff, split on MESSAGE_TOO_LARGE, failure, delivery expiry. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kp_err.h"
#include "kp_log.h"
#include "kp_partitioner.h"
#include "kp_proto_produce.h"
#include "kp_sender.h"
#include "kp_time.h"

void kp_completion_free(kp_completion *c) {
    if (!c) return;
    free(c->errstr);
    free(c->refs);
    free(c);
}

void kp_sender_finish_batch(kp_sender *s, kp_pbatch *b, int err, const char *errstr,
                            int64_t base_offset, int64_t log_append_time) {
    if (b->done) return;
    kp_completion *c = calloc(1, sizeof *c);
    if (c) {
        c->topic = b->pq->topic;
        c->partition = b->pq->partition;
        c->err = err;
        c->errstr = err ? strdup(errstr ? errstr : kp_err_desc(err)) : NULL;
        c->base_offset = base_offset;
        c->log_append_time = log_append_time;
        c->record_count = b->b.count;
        c->refs = b->refs;
        c->nrefs = b->nrefs;
        c->sent_us = b->drained_us;
        c->acked_us = kp_now_us();
        b->refs = NULL;
        b->nrefs = b->cap_refs = 0;
    } else {
        KP_LOG_ERROR("out of memory: %d delivery reports of %s [%d] are lost", b->nrefs,
                     b->pq->topic->name, b->pq->partition);
    }
    atomic_fetch_add(err ? &s->stats.records_failed : &s->stats.records_acked, (uint64_t)b->b.count);
    if (s->idempotent && b->base_sequence != KP_NO_SEQUENCE) kp_sender_sequence_done(s, b, err);
    b->done = 1;
    if (!b->in_flight) kp_accumulator_release(s->acc, b);
    if (c) s->deliver(c, s->deliver_ud);
}

/* KIP-580: retry.backoff.ms doubling per attempt up to retry.backoff.max.ms, +-20%. */
static int64_t retry_backoff(kp_sender *s, int attempts) {
    static uint32_t rng = 0x9e3779b9u;
    double b = (double)s->conf->retry_backoff_ms;
    for (int i = 1; i < attempts && b < (double)s->conf->retry_backoff_max_ms; i++) b *= 2;
    if (b > (double)s->conf->retry_backoff_max_ms) b = (double)s->conf->retry_backoff_max_ms;
    return (int64_t)(b * (0.8 + 0.4 * (kp_rand32(&rng) / 4294967296.0)) * 1000.0);
}

static void retry_batch(kp_sender *s, kp_pbatch *b, int64_t now_us) {
    b->retry_backoff_us = retry_backoff(s, b->attempts + 1);
    kp_accumulator_reenqueue(s->acc, b, now_us);
    atomic_fetch_add(&s->stats.batches_retried, 1);
    atomic_fetch_add(&s->stats.records_retried, (uint64_t)b->b.count);
}

static int delivery_expired(kp_sender *s, kp_pbatch *b, int64_t now_us) {
    return now_us >= b->created_us + KP_MS(s->conf->delivery_timeout_ms);
}

/* Splits a batch the broker found too large into two halves, re-enqueued in
 * order at the head of the partition's queue. Returns 0, or -1 when it could
 * not be split (the caller fails it). */
static int split_and_reenqueue(kp_sender *s, kp_pbatch *big, int64_t now_us) {
    char err[256];
    kp_batch_reader r;
    size_t used;
    kp_pbatch *half[2] = {NULL, NULL};
    int32_t count = big->b.count, cut = count / 2;
    /* The halves copy every value: a split is rare, and this keeps it one
     * path whether values were referenced or not. */
    kp_buf wire;
    kp_buf_init(&wire, big->b.next ? kp_batch_size(&big->b) : 0);
    if (big->b.next && kp_batch_copy_wire(&big->b, &wire)) {
        kp_buf_free(&wire);
        KP_LOG_ERROR("cannot split batch of %s [%d]: out of memory", big->pq->topic->name,
                     big->pq->partition);
        return -1;
    }
    const uint8_t *bytes = big->b.next ? wire.data : big->b.buf.data;
    if (kp_batch_reader_open(&r, bytes, kp_batch_size(&big->b), &used, s->cz, SIZE_MAX, err,
                             sizeof err)) {
        kp_buf_free(&wire);
        KP_LOG_ERROR("cannot split batch of %s [%d]: %s", big->pq->topic->name,
                     big->pq->partition, err);
        return -1;
    }
    size_t cap = kp_batch_size(&big->b) / 2 + 1024;
    for (int h = 0; h < 2; h++)
        if (!(half[h] = kp_accumulator_new_batch(s->acc, big->pq, cap))) goto fail;
    kp_record_view rec;
    kp_header headers[64];
    int i = 0;
    while (kp_batch_reader_next(&r, &rec, err, sizeof err) == 1) {
        kp_pbatch *dst = half[i >= cut];
        kp_reader hr;
        kp_reader_init(&hr, rec.headers, rec.headers_len);
        int nh = 0;
        while (nh < 64 && kp_record_header_next(&hr, &headers[nh]) == 1) nh++;
        if (kp_batch_append(&dst->b, rec.timestamp, rec.key.ptr, rec.key.len, rec.value.ptr,
                            rec.value.len, headers, nh))
            goto fail;
        i++;
    }
    if (i != count) goto fail;
    /* Hand each record's callback slot to the half that now holds it. */
    for (int k = 0; k < big->nrefs; k++) {
        kp_record_ref ref = big->refs[k];
        kp_pbatch *dst = half[ref.index >= cut];
        if (ref.index >= cut) ref.index -= cut;
        if (dst->nrefs == dst->cap_refs) {
            int nc = dst->cap_refs ? dst->cap_refs * 2 : 16;
            kp_record_ref *t = realloc(dst->refs, (size_t)nc * sizeof *t);
            if (!t) goto fail;
            dst->refs = t;
            dst->cap_refs = nc;
        }
        dst->refs[dst->nrefs++] = ref;
    }
    kp_batch_reader_close(&r);
    kp_buf_free(&wire);
    for (int h = 0; h < 2; h++) {
        half[h]->created_us = big->created_us; /* the delivery timeout still runs */
        half[h]->attempts = big->attempts;
        half[h]->closed = 1;
    }
    /* The broker wrote none of the big batch: its halves take its sequence
     * range, so batches pipelined behind it, which the broker refuses for
     * the gap, are retried after the halves with no new epoch. */
    if (s->idempotent && big->base_sequence != KP_NO_SEQUENCE)
        kp_sender_split_sequences(big, half[0], half[1]);
    big->nrefs = 0;
    /* Second half first: each goes to the head, so the first ends up first. */
    kp_accumulator_reenqueue(s->acc, half[1], now_us);
    kp_accumulator_reenqueue(s->acc, half[0], now_us);
    half[0]->retry_backoff_us = half[1]->retry_backoff_us = 0;
    atomic_fetch_add(&s->stats.batches_split, 1);
    KP_LOG_INFO("split a batch of %d records for %s [%d] after MESSAGE_TOO_LARGE", count,
                big->pq->topic->name, big->pq->partition);
    big->b.count = 0; /* its records live on in the halves */
    big->done = 1;
    kp_accumulator_release(s->acc, big);
    return 0;
fail:
    kp_batch_reader_close(&r);
    kp_buf_free(&wire);
    for (int h = 0; h < 2; h++)
        if (half[h]) kp_accumulator_release(s->acc, half[h]);
    return -1;
}

/* Java's Sender.completeBatch for one batch and its partition's outcome. */
static void complete_batch(kp_sender *s, kp_pbatch *b, int error, const char *message,
                           int64_t base_offset, int64_t log_append_time, int64_t now_us) {
    kp_partq *pq = b->pq;
    b->in_flight = 0;
    pq->inflight_batches--;
    if (pq->muted && (!s->per_partition_in_flight || pq->inflight_batches < s->per_partition_in_flight))
        pq->muted = 0;
    if (b->done) { /* expired or aborted while in flight */
        kp_accumulator_release(s->acc, b);
        return;
    }
    if (error == KP_ERR_NONE) {
        kp_sender_finish_batch(s, b, 0, NULL, base_offset, log_append_time);
        return;
    }
    if (error == KP_ERR_MESSAGE_TOO_LARGE && b->b.count > 1 && split_and_reenqueue(s, b, now_us) == 0)
        return;
    if (kp_err_invalid_metadata(error)) kp_sender_request_metadata(s);
    int sequence_error = error == KP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER ||
                         error == KP_ERR_UNKNOWN_PRODUCER_ID;
    if (s->idempotent && error == KP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER && !atomic_load(&s->forced) &&
        !delivery_expired(s, b, now_us) && kp_sender_gap_explained(s, b)) {
        /* Pipelined behind a batch that failed: it goes again right after
         * that one (the drain holds retries in sequence order). */
        KP_LOG_DEBUG("retrying %s [%d] (sequence %d) behind an earlier batch: the broker refused "
                     "its gap", pq->topic->name, pq->partition, b->base_sequence);
        atomic_fetch_add(&s->stats.gap_retries, 1);
        retry_batch(s, b, now_us);
        b->retry_backoff_us = 0;
        return;
    }
    int retriable = kp_err_retriable(error) || (s->idempotent && sequence_error);
    if (retriable && atomic_load(&s->forced)) {
        /* Java aborts every incomplete batch on a forced close: a batch that
         * would have been retried fails as the others do, with _DESTROY. */
        char why[512];
        snprintf(why, sizeof why, "producer closed forcefully before a retry (last error %s: %s)",
                 kp_err_name(error), message ? message : kp_err_desc(error));
        kp_sender_finish_batch(s, b, KP_ERR__DESTROY, why, -1, -1);
        return;
    }
    if (retriable && !delivery_expired(s, b, now_us) && b->attempts < s->conf->retries) {
        int decision = KP_RETRY_DEFAULT;
        if (s->retry_policy) {
            kp_retry_ctx ctx = {pq->topic->name, pq->partition, b->attempts + 1, error, message,
                                b->b.count};
            decision = s->retry_policy(&ctx, s->retry_policy_ud);
        }
        if (decision != KP_RETRY_FAIL) {
            if (s->idempotent && sequence_error) s->epoch_bump_needed = 1;
            KP_LOG_DEBUG("retrying %s [%d] (%d records, sequence %d, attempt %d): %s",
                         pq->topic->name, pq->partition, b->b.count, b->base_sequence,
                         b->attempts + 1, kp_err_name(error));
            retry_batch(s, b, now_us);
            if (decision >= 0) b->retry_backoff_us = KP_MS(decision);
            return;
        }
    }
    if (error == KP_ERR_DUPLICATE_SEQUENCE_NUMBER) {
        kp_sender_finish_batch(s, b, 0, NULL, -1, log_append_time);
        return;
    }
    char why[512];
    snprintf(why, sizeof why, "%s: %s", kp_err_name(error), message ? message : kp_err_desc(error));
    kp_sender_finish_batch(s, b, error, why, -1, -1);
}

static const kp_produce_partition_response *find_partition(const kp_produce_response *r,
                                                           const kp_pbatch *b) {
    for (int t = 0; t < r->responses_count; t++) {
        const kp_produce_topic_response *tr = &r->responses[t];
        if (!tr->name || strcmp(tr->name, b->pq->topic->name)) continue;
        for (int p = 0; p < tr->partition_responses_count; p++)
            if (tr->partition_responses[p].index == b->pq->partition) return &tr->partition_responses[p];
    }
    return NULL;
}

static void unlink_inflight(kp_sender *s, kp_inflight *ctx) {
    if (ctx->prev) ctx->prev->next = ctx->next;
    else s->inflight_head = ctx->next;
    if (ctx->next) ctx->next->prev = ctx->prev;
}

void kp_sender_produce_cb(kp_request *req, int err, const char *reason, kp_reader *body) {
    kp_inflight *ctx = req->opaque;
    kp_sender *s = ctx->s;
    int64_t now = kp_now_us();
    unlink_inflight(s, ctx);
    atomic_fetch_sub(&s->stats.in_flight_requests, 1);
    atomic_fetch_sub(&s->stats.in_flight_records, ctx->records);
    if (!err && body) {
        uint64_t lat = (uint64_t)(now - ctx->sent_us);
        atomic_fetch_add(&s->stats.responses, 1);
        atomic_fetch_add(&s->stats.request_latency_us_sum, lat);
        if (lat > atomic_load(&s->stats.request_latency_us_max))
            atomic_store(&s->stats.request_latency_us_max, lat);
    }
    if (err) {
        /* The connection failed or timed out: every batch is retriable (Java
         * reports NETWORK_EXCEPTION for a disconnected request). */
        for (int i = 0; i < ctx->nbatches; i++)
            complete_batch(s, ctx->batches[i], KP_ERR_NETWORK_EXCEPTION, reason, -1, -1, now);
        kp_sender_request_metadata(s);
    } else if (!body) { /* acks=0: done once written */
        for (int i = 0; i < ctx->nbatches; i++) complete_batch(s, ctx->batches[i], 0, NULL, -1, -1, now);
    } else {
        kp_produce_response resp;
        kp_proto_err perr = {0};
        if (kp_produce_response_decode(body->p, kp_rd_remaining(body), ctx->version, &resp, &perr)) {
            char msg[256];
            kp_proto_err_format(&perr, msg, sizeof msg);
            KP_LOG_ERROR("broker %s sent a malformed Produce response: %s", ctx->node->conn.name, msg);
            for (int i = 0; i < ctx->nbatches; i++)
                complete_batch(s, ctx->batches[i], KP_ERR_NETWORK_EXCEPTION, msg, -1, -1, now);
            kp_conn_close(&ctx->node->conn, "malformed Produce response");
        } else {
            for (int i = 0; i < ctx->nbatches; i++) {
                kp_pbatch *b = ctx->batches[i];
                const kp_produce_partition_response *pr = find_partition(&resp, b);
                if (!pr)
                    complete_batch(s, b, KP_ERR_NETWORK_EXCEPTION,
                                   "Produce response lacks the partition", -1, -1, now);
                else
                    complete_batch(s, b, pr->error_code, pr->error_message, pr->base_offset,
                                   pr->log_append_time_ms, now);
            }
            kp_produce_response_free(&resp);
        }
    }
    free(ctx->batches);
    free(ctx);
}

/* ---- expiry and abort ---- */

int64_t kp_sender_expire(kp_sender *s, int64_t now_us) {
    int64_t timeout = KP_MS(s->conf->delivery_timeout_ms), next = INT64_MAX;
    /* No batch can expire before the earliest deadline the last scan saw, nor
     * before a batch created after that scan could: skip the walk until then
     * (Java's nextBatchExpiryTimeMs). */
    if (now_us < s->expiry_scan_due_us) return s->expiry_scan_due_us;
    char why[256];
    for (kp_topic *t = kp_accumulator_topics(s->acc); t; t = t->next) {
        int32_t n = atomic_load(&t->partition_count);
        kp_partq **parts = atomic_load(&t->parts);
        for (int32_t i = 0; i < n; i++) {
            kp_partq *pq = parts[i];
            for (;;) {
                pthread_mutex_lock(&pq->lock);
                kp_pbatch *b = pq->head;
                int64_t created = b ? b->created_us : 0;
                pthread_mutex_unlock(&pq->lock);
                if (!b) break;
                if (now_us < created + timeout) {
                    if (created + timeout < next) next = created + timeout;
                    break;
                }
                b = kp_accumulator_poll_first(s->acc, pq);
                snprintf(why, sizeof why,
                         "delivery.timeout.ms (%d ms) expired before %s [%d] acknowledged the "
                         "record (%d attempts%s%s)",
                         s->conf->delivery_timeout_ms, t->name, pq->partition, b->attempts + 1,
                         pq->leader_node && pq->leader_node->last_error[0] ? "; last error: " : "",
                         pq->leader_node ? pq->leader_node->last_error : "");
                atomic_fetch_add(&s->stats.batches_expired, 1);
                kp_sender_finish_batch(s, b, KP_ERR__MSG_TIMED_OUT, why, -1, -1);
            }
        }
    }
    for (kp_inflight *ctx = s->inflight_head; ctx; ctx = ctx->next) {
        for (int i = 0; i < ctx->nbatches; i++) {
            kp_pbatch *b = ctx->batches[i];
            if (b->done) continue;
            if (now_us >= b->created_us + timeout) {
                snprintf(why, sizeof why,
                         "delivery.timeout.ms (%d ms) expired while the request to broker %s "
                         "was in flight", s->conf->delivery_timeout_ms, ctx->node->conn.name);
                atomic_fetch_add(&s->stats.batches_expired, 1);
                kp_sender_finish_batch(s, b, KP_ERR__MSG_TIMED_OUT, why, -1, -1);
            } else if (b->created_us + timeout < next) {
                next = b->created_us + timeout;
            }
        }
    }
    if (now_us + timeout < next) next = now_us + timeout;
    s->expiry_scan_due_us = next;
    return next;
}

void kp_sender_abort_all(kp_sender *s, int err, const char *errstr) {
    for (kp_topic *t = kp_accumulator_topics(s->acc); t; t = t->next) {
        int32_t n = atomic_load(&t->partition_count);
        kp_partq **parts = atomic_load(&t->parts);
        for (int32_t i = 0; i < n; i++) {
            kp_pbatch *b;
            while ((b = kp_accumulator_poll_first(s->acc, parts[i])))
                kp_sender_finish_batch(s, b, err, errstr, -1, -1);
        }
    }
    for (kp_inflight *ctx = s->inflight_head; ctx; ctx = ctx->next)
        for (int i = 0; i < ctx->nbatches; i++)
            kp_sender_finish_batch(s, ctx->batches[i], err, errstr, -1, -1);
}
