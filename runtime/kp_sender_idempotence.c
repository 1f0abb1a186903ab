/* kp_sender_idempotence.c — the idempotent producer's state (Java's
 * TransactionManager without transactions): producer id and epoch from
 * InitProducerId, per-partition sequence numbers, and the epoch bump that
 * resynchronises sequences after a batch was lost for good (KIP-360). */
#include <stdio.h>
#include <string.h>

#include "kp_err.h"
#include "kp_log.h"
#include "kp_proto_initpid.h"
#include "kp_sender.h"
#include "kp_time.h"

static void reset_sequences(kp_sender *s) {
    for (kp_topic *t = kp_accumulator_topics(s->acc); t; t = t->next) {
        int32_t n = atomic_load(&t->partition_count);
        kp_partq **parts = atomic_load(&t->parts);
        for (int32_t i = 0; i < n; i++) parts[i]->next_sequence = 0;
    }
}

static void init_pid_cb(kp_request *req, int err, const char *reason, kp_reader *body) {
    kp_sender *s = req->opaque;
    int64_t now = kp_now_us();
    s->pid_in_flight = 0;
    kp_init_producer_id_response r;
    kp_proto_err perr = {0};
    char why[300];
    if (err) {
        snprintf(why, sizeof why, "%s", reason);
    } else if (kp_init_producer_id_response_decode(body->p, kp_rd_remaining(body),
                                                   req->api_version, &r, &perr)) {
        char msg[200];
        snprintf(why, sizeof why, "malformed InitProducerId response: %s",
                 kp_proto_err_format(&perr, msg, sizeof msg));
    } else if (r.error_code) {
        if (s->producer_id != KP_NO_PRODUCER_ID && !kp_err_retriable(r.error_code)) {
            /* The broker would not bump our epoch: ask for a new id instead. */
            KP_LOG_INFO("epoch bump refused (%s): requesting a new producer id",
                        kp_err_name(r.error_code));
            s->producer_id = KP_NO_PRODUCER_ID;
            s->producer_epoch = KP_NO_PRODUCER_EPOCH;
            s->epoch_bump_needed = 1;
            return;
        }
        if (!kp_err_retriable(r.error_code) && r.error_code != KP_ERR_COORDINATOR_LOAD_IN_PROGRESS) {
            snprintf(s->fatal, sizeof s->fatal, "InitProducerId failed: %s: %s",
                     kp_err_name(r.error_code), kp_err_desc(r.error_code));
            KP_LOG_ERROR("%s", s->fatal);
            kp_sender_abort_all(s, KP_ERR__FATAL, s->fatal);
            return;
        }
        snprintf(why, sizeof why, "InitProducerId: %s", kp_err_name(r.error_code));
    } else {
        int bump = s->producer_id == r.producer_id;
        KP_LOG_INFO("producer id %lld epoch %d%s", (long long)r.producer_id, r.producer_epoch,
                    bump ? " (epoch bumped)" : "");
        /* A resynchronisation counts whether the epoch grew or the id changed. */
        if (s->epoch_bump_needed) atomic_fetch_add(&s->stats.epoch_bumps, 1);
        s->producer_id = r.producer_id;
        s->producer_epoch = r.producer_epoch;
        s->epoch_bump_needed = 0;
        s->pid_failures = 0;
        reset_sequences(s);
        return;
    }
    s->pid_failures++;
    int64_t backoff = KP_MS(s->conf->retry_backoff_ms);
    for (int i = 1; i < s->pid_failures && backoff < KP_MS(s->conf->retry_backoff_max_ms); i++) backoff *= 2;
    s->pid_retry_us = now + backoff;
    KP_LOG_INFO("%s; retrying InitProducerId", why);
}

int kp_sender_idempotence_ready(kp_sender *s, int64_t now_us, int64_t *wake_us) {
    if (s->fatal[0]) {
        /* Records that arrive after a fatal error fail at once. */
        kp_sender_abort_all(s, KP_ERR__FATAL, s->fatal);
        return 0;
    }
    if (s->producer_id != KP_NO_PRODUCER_ID && !s->epoch_bump_needed) return 1;
    if (s->pid_in_flight) return 0;
    /* An epoch bump waits for every request of the old epoch to finish. */
    if (s->epoch_bump_needed && s->inflight_head) return 0;
    if (now_us < s->pid_retry_us) {
        *wake_us = s->pid_retry_us;
        return 0;
    }
    kp_node *n = kp_client_least_loaded(s->client, now_us);
    if (!n || !kp_client_ready(s->client, n, now_us) || !kp_client_has_brokers(s->client)) {
        *wake_us = now_us + KP_MS(s->conf->reconnect_backoff_ms);
        return 0;
    }
    int16_t version = kp_conn_api_version(&n->conn, KP_API_INIT_PRODUCER_ID);
    if (version < 0) {
        snprintf(s->fatal, sizeof s->fatal,
                 "broker %s does not support InitProducerId: set enable.idempotence=false",
                 n->conn.name);
        return 0;
    }
    kp_request *req = kp_request_new(init_pid_cb, s);
    if (!req) return 0;
    /* v3+ can bump the epoch of the id we hold; earlier versions get a new id. */
    kp_init_producer_id_request body = {NULL, 60000, -1, -1};
    if (version >= 3 && s->producer_id != KP_NO_PRODUCER_ID) {
        body.producer_id = s->producer_id;
        body.producer_epoch = s->producer_epoch;
    }
    req->api_key = KP_API_INIT_PRODUCER_ID;
    req->api_version = version;
    req->correlation_id = kp_conn_next_correlation_id(&n->conn);
    if (kp_init_producer_id_request_encode(&req->frame, version, req->correlation_id,
                                           s->conf->client_id, &body, NULL)) {
        kp_request_free(req);
        return 0;
    }
    s->pid_in_flight = 1;
    kp_client_send(s->client, n, req, now_us);
    return 0;
}

/* Sequences wrap from INT32_MAX to 0, as the broker expects. */
static int32_t sequence_add(int32_t seq, int32_t n) {
    int64_t next = (int64_t)seq + n;
    return (int32_t)(next > INT32_MAX ? next - INT32_MAX - 1 : next);
}

void kp_sender_assign_sequence(kp_sender *s, kp_pbatch *b) {
    kp_partq *pq = b->pq;
    b->producer_id = s->producer_id;
    b->producer_epoch = s->producer_epoch;
    b->base_sequence = pq->next_sequence;
    pq->next_sequence = sequence_add(pq->next_sequence, b->b.count);
}

void kp_sender_split_sequences(const kp_pbatch *whole, kp_pbatch *first, kp_pbatch *second) {
    first->producer_id = second->producer_id = whole->producer_id;
    first->producer_epoch = second->producer_epoch = whole->producer_epoch;
    first->base_sequence = whole->base_sequence;
    second->base_sequence = sequence_add(whole->base_sequence, first->b.count);
}

void kp_sender_sequence_done(kp_sender *s, kp_pbatch *b, int err) {
    if (!err || b->producer_id != s->producer_id || b->producer_epoch != s->producer_epoch) return;
    /* A broker error on this very attempt means the batch was not written.
     * When nothing after it was numbered, its range is simply reused (Java's
     * adjustSequencesDueToFailedBatch). Otherwise (a timeout, an expiry in
     * flight, later batches numbered) the broker's view is unknown: a new
     * epoch resynchronises the sequences (KIP-360). */
    kp_partq *pq = b->pq;
    if (err > 0 && pq->inflight_batches == 0 && !b->in_flight &&
        pq->next_sequence == b->base_sequence + b->b.count) {
        pq->next_sequence = b->base_sequence;
        return;
    }
    s->epoch_bump_needed = 1;
}

int kp_sender_hold_partition(kp_sender *s, kp_partq *pq, kp_pbatch *first) {
    (void)s;
    /* A retried batch goes out only once nothing else of its partition is in
     * flight, so it cannot overtake or be overtaken. */
    return first->in_retry && pq->inflight_batches > 0;
}

/* a's sequence comes before b's, sequences wrapping from INT32_MAX to 0. */
static int sequence_before(int32_t a, int32_t b) {
    int64_t d = ((int64_t)b - a + ((int64_t)1 << 31)) % ((int64_t)1 << 31);
    return d > 0 && d < ((int64_t)1 << 30);
}

static int earlier_batch(const kp_pbatch *x, const kp_pbatch *b) {
    return x != b && x->pq == b->pq && !x->done && x->base_sequence != KP_NO_SEQUENCE &&
           x->producer_id == b->producer_id && x->producer_epoch == b->producer_epoch &&
           sequence_before(x->base_sequence, b->base_sequence);
}

int kp_sender_gap_explained(kp_sender *s, kp_pbatch *b) {
    if (b->producer_id != s->producer_id || b->producer_epoch != s->producer_epoch) return 1;
    /* Retried batches wait at the head of the queue, in sequence order. */
    kp_partq *pq = b->pq;
    pthread_mutex_lock(&pq->lock);
    int found = 0;
    for (kp_pbatch *x = pq->head; x && x->in_retry && !found; x = x->next) found = earlier_batch(x, b);
    pthread_mutex_unlock(&pq->lock);
    for (kp_inflight *ctx = s->inflight_head; ctx && !found; ctx = ctx->next)
        for (int i = 0; i < ctx->nbatches && !found; i++) found = earlier_batch(ctx->batches[i], b);
    return found;
}

