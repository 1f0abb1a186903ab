/* kp_sender.c — the sender loop: ready -> drain by leader -> Produce requests. */
#include "kp_sender.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kp_err.h"
#include "kp_log.h"
#include "kp_proto_produce.h"
#include "kp_sealer.h"
#include "kp_time.h"

static void node_ready_cb(kp_node *n, void *ud) {
    (void)n;
    kp_sender *s = ud;
    atomic_store(&s->ever_ready, 1);
    /* Nothing else: the loop iterates after any I/O and prepare re-runs the sender. */
}

static void node_closed_cb(kp_node *n, const char *reason, void *ud) {
    (void)n;
    kp_sender *s = ud;
    pthread_mutex_lock(&s->conn_error_lock);
    snprintf(s->conn_error, sizeof s->conn_error, "%s", reason ? reason : "connection closed");
    pthread_mutex_unlock(&s->conn_error_lock);
    /* A lost connection may mean a leader moved (Java requests an update). */
    if (s->client && kp_client_has_brokers(s->client)) kp_sender_request_metadata(s);
}

int kp_sender_reachability(kp_sender *s, char *last_error, size_t len) {
    pthread_mutex_lock(&s->conn_error_lock);
    snprintf(last_error, len, "%s", s->conn_error[0] ? s->conn_error : "no answer yet");
    pthread_mutex_unlock(&s->conn_error_lock);
    return atomic_load(&s->ever_ready);
}

static void prepare_cb(struct ev_loop *loop, ev_prepare *w, int revents) {
    (void)loop;
    (void)revents;
    kp_sender *s = w->data;
    kp_sender_run_once(s, kp_now_us());
}

static void noop_async_cb(struct ev_loop *loop, ev_async *w, int revents) {
    (void)loop, (void)w, (void)revents;
}

/* A compression thread finished a batch: count it, and drain it now. */
static void batch_sealed_cb(void *ud, int ok) {
    kp_sender *s = ud;
    if (ok) atomic_fetch_add(&s->stats.batches_compressed_by_threads, 1);
    kp_sender_wakeup(s);
}

static void noop_timer_cb(struct ev_loop *loop, ev_timer *w, int revents) {
    (void)loop, (void)w, (void)revents;
}

int kp_sender_init(kp_sender *s, const kp_conf *conf, kp_accumulator *acc,
                   void (*deliver)(kp_completion *, void *), void *deliver_ud, char *errstr,
                   size_t errlen) {
    memset(s, 0, sizeof *s);
    s->conf = conf;
    s->acc = acc;
    s->deliver = deliver;
    s->deliver_ud = deliver_ud;
    s->codec = (kp_codec)conf->compression_type;
    /* The codec library's own default unless the user chose a level: for
     * lz4 that is the fast mode librdkafka uses, not Java's HC level 9. */
    static const char *const level_props[] = {NULL, "compression.gzip.level", NULL,
                                              "compression.lz4.level", "compression.zstd.level"};
    const char *prop = s->codec < 5 ? level_props[s->codec] : NULL;
    int explicit_level = prop && (kp_conf_is_set(conf, prop) == 1 ||
                                  kp_conf_is_set(conf, "compression.level") == 1);
    int32_t level = kp_conf_compression_level_for_codec(conf);
    s->level = explicit_level && level != -1 ? level : KP_LEVEL_DEFAULT;
    s->acks = (int16_t)conf->acks;
    s->idempotent = conf->enable_idempotence;
    s->producer_id = KP_NO_PRODUCER_ID;
    s->producer_epoch = KP_NO_PRODUCER_EPOCH;
    /* Ordering: Java mutes a partition while its batch is in flight when
     * max.in.flight is 1; kprod.strict.ordering does the same at any
     * max.in.flight, for brokers that do not check sequence numbers. Otherwise
     * a partition pipelines up to max.in.flight batches, as Java's idempotent
     * producer does: the broker rejects a gap and the sender retries in order. */
    s->per_partition_in_flight =
        (conf->max_in_flight_requests_per_connection == 1 || conf->kprod_strict_ordering) ? 1 : 0;
    pthread_mutex_init(&s->conn_error_lock, NULL);
    s->loop = ev_loop_new(EVFLAG_AUTO);
    if (!s->loop) {
        snprintf(errstr, errlen, "cannot create the sender's event loop");
        return -1;
    }
    kp_client_events ev = {node_ready_cb, node_closed_cb, s};
    s->client = kp_client_new(s->loop, conf, &ev, errstr, errlen);
    if (!s->client) goto err;
    s->cz = kp_compressor_new();
    if (!s->cz) {
        snprintf(errstr, errlen, "out of memory creating the compressor");
        goto err;
    }
    kp_buf_init(&s->scratch, 0);
    int threads = s->codec == KP_CODEC_NONE ? 0 : kp_sealer_threads_for(conf->kprod_compression_threads);
    if (threads > 0) {
        s->sealer = kp_sealer_new(threads, s->codec, s->level, batch_sealed_cb, s, errstr, errlen);
        if (!s->sealer) goto err;
        kp_accumulator_set_sealer(acc, s->sealer);
    }
    ev_async_init(&s->wakeup, noop_async_cb);
    ev_async_start(s->loop, &s->wakeup);
    ev_timer_init(&s->timer, noop_timer_cb, 0, 0);
    ev_prepare_init(&s->prepare, prepare_cb);
    s->prepare.data = s;
    ev_prepare_start(s->loop, &s->prepare);
    s->metadata_needed = 1;
    return 0;
err:
    kp_sender_destroy(s);
    return -1;
}

void kp_sender_destroy(kp_sender *s) {
    /* Workers first: they wake the loop, and may hold a batch. */
    if (s->sealer) {
        kp_accumulator_set_sealer(s->acc, NULL);
        kp_sealer_free(s->sealer);
    }
    s->sealer = NULL;
    if (s->client) kp_client_destroy(s->client);
    s->client = NULL;
    if (s->cz) kp_compressor_free(s->cz);
    s->cz = NULL;
    kp_buf_free(&s->scratch);
    if (s->loop) ev_loop_destroy(s->loop);
    s->loop = NULL;
    pthread_mutex_destroy(&s->conn_error_lock);
}

void kp_sender_wakeup(void *sender) {
    kp_sender *s = sender;
    ev_async_send(s->loop, &s->wakeup);
}

void kp_sender_want_metadata(kp_sender *s) {
    atomic_store(&s->metadata_wanted, 1);
    kp_sender_wakeup(s);
}

void kp_sender_initiate_close(kp_sender *s, int force) {
    atomic_store(force ? &s->forced : &s->closing, 1);
    kp_sender_wakeup(s);
}

void *kp_sender_thread(void *sender) {
    kp_sender *s = sender;
    ev_run(s->loop, 0);
    return NULL;
}

/* ---- ready ---- */

/* 1 while pq's first batch b (its ready_head) is a retry still waiting out
 * its backoff. A retry's fields are the sender's own and its batch takes no
 * appends; the retry flag comes from the mirror, not from b's open line. */
static int backing_off(kp_partq *pq, const kp_pbatch *b, int64_t now_us) {
    return atomic_load_explicit(&pq->ready_retry, memory_order_relaxed) &&
           now_us < b->last_attempt_us + b->retry_backoff_us;
}

/* Java's RecordAccumulator.ready for one partition: marks the leader ready
 * when the first batch is sendable, else lowers *next_us to when it will be. */
static void check_partition(kp_sender *s, kp_partq *pq, int64_t now_us, int send_all,
                            int64_t *next_us, int *unknown_leader) {
    kp_pbatch *b = kp_partq_ready_head(pq);
    if (!b) return;
    int full = atomic_load_explicit(&pq->ready_full, memory_order_relaxed);
    int retry = atomic_load_explicit(&pq->ready_retry, memory_order_relaxed);
    int64_t created = atomic_load_explicit(&pq->ready_created_us, memory_order_relaxed);
    if (pq->leader < 0 || !pq->leader_node) {
        *unknown_leader = 1;
        return;
    }
    kp_node *node = pq->leader_node;
    if (node->ready_round == s->round || pq->muted) return;
    int waiting = backing_off(pq, b, now_us);
    int64_t since = retry ? b->last_attempt_us : created;
    int64_t wait = waiting ? b->retry_backoff_us : KP_MS(s->conf->linger_ms);
    int sendable = full || now_us >= since + wait || send_all;
    if (sendable && !waiting) {
        node->ready_round = s->round;
    } else if (since + wait < *next_us) {
        *next_us = since + wait;
    }
}

/* ---- drain ---- */

/* Seals a batch on its first drain (idempotent batches take their sequence
 * first), or restamps it when the producer epoch changed since. Returns 0,
 * or -1 after failing the batch. */
static int prepare_batch(kp_sender *s, kp_pbatch *b) {
    if (s->idempotent &&
        (b->base_sequence == KP_NO_SEQUENCE || b->producer_id != s->producer_id ||
         b->producer_epoch != s->producer_epoch))
        kp_sender_assign_sequence(s, b);
    kp_batch_producer prod = {b->producer_id, b->producer_epoch, b->base_sequence, 0};
    if (b->b.sealed) {
        if (s->idempotent) kp_batch_restamp(&b->b, &prod);
        return 0;
    }
    char err[256];
    if (kp_batch_seal(&b->b, s->codec, s->level, s->cz, &prod, &s->scratch, err, sizeof err)) {
        kp_sender_finish_batch(s, b, KP_ERR__COMPRESSION, err, -1, -1);
        return -1;
    }
    return 0;
}

/* Java's drainBatchesForOneNode: one batch per partition, rotating the start
 * so every partition gets its turn, up to max.request.size. */
static int drain_node(kp_sender *s, kp_node *node, kp_pbatch **out, int64_t now_us) {
    int n = 0;
    size_t size = 0;
    if (node->nparts == 0) return 0;
    int start = node->drain_index % node->nparts;
    for (int k = 0; k < node->nparts; k++) {
        int i = (start + k) % node->nparts;
        kp_partq *pq = node->parts[i];
        if (pq->muted) continue;
        /* After a leader change, the new leader gets nothing of this
         * partition until the old one has answered for what it holds: a
         * batch failing there must not be overtaken here. */
        if (pq->inflight_batches > 0 && pq->inflight_node != node) continue;
        kp_pbatch *first = kp_partq_ready_head(pq);
        if (!first) continue;
        if (backing_off(pq, first, now_us)) continue;
        if (n > 0 && size + kp_batch_size(&first->b) > (size_t)s->conf->max_request_size) {
            node->drain_index = i;
            break;
        }
        if (s->idempotent && kp_sender_hold_partition(s, pq, first)) continue;
        /* A compression thread at work on it wakes the loop when done. */
        if (s->sealer && !kp_sealer_claim(s->sealer, first, 0)) continue;
        kp_pbatch *b = kp_accumulator_poll_first(s->acc, pq);
        if (prepare_batch(s, b)) continue;
        size += kp_batch_size(&b->b);
        b->drained_us = now_us;
        b->in_flight = 1;
        pq->inflight_batches++;
        pq->inflight_node = node;
        if (pq->inflight_batches > atomic_load_explicit(&s->stats.partition_in_flight_max, memory_order_relaxed))
            atomic_store(&s->stats.partition_in_flight_max, pq->inflight_batches);
        if (s->per_partition_in_flight && pq->inflight_batches >= s->per_partition_in_flight)
            pq->muted = 1;
        out[n++] = b;
        node->drain_index = i + 1;
    }
    return n;
}

/* ---- one loop turn ---- */

static int accumulator_empty(kp_sender *s) {
    for (kp_topic *t = kp_accumulator_topics(s->acc); t; t = t->next) {
        int32_t n = atomic_load(&t->partition_count);
        kp_partq **parts = atomic_load(&t->parts);
        for (int32_t i = 0; i < n; i++) {
            pthread_mutex_lock(&parts[i]->lock);
            int empty = parts[i]->head == NULL;
            pthread_mutex_unlock(&parts[i]->lock);
            if (!empty) return 0;
        }
    }
    return 1;
}

static void arm_timer(kp_sender *s, int64_t wake_us, int64_t now_us) {
    ev_timer_stop(s->loop, &s->timer);
    if (wake_us == INT64_MAX) return;
    double delay = wake_us > now_us ? (double)(wake_us - now_us) / 1e6 : 0.0;
    ev_timer_set(&s->timer, delay, 0);
    ev_timer_start(s->loop, &s->timer);
}

void kp_sender_run_once(kp_sender *s, int64_t now_us) {
    if (s->stopped) return;
    if (atomic_load(&s->forced)) {
        kp_sender_abort_all(s, KP_ERR__DESTROY,
                            "producer closed forcefully before the record was delivered");
        s->stopped = 1;
        ev_break(s->loop, EVBREAK_ALL);
        return;
    }
    if (atomic_exchange(&s->metadata_wanted, 0)) kp_sender_request_metadata(s);
    int64_t wake = kp_client_check_timeouts(s->client, now_us);
    int64_t t = kp_sender_maybe_update_metadata(s, now_us);
    if (t < wake) wake = t;

    int can_drain = 1;
    if (s->idempotent) {
        int64_t idem_wake = INT64_MAX;
        can_drain = kp_sender_idempotence_ready(s, now_us, &idem_wake);
        if (idem_wake < wake) wake = idem_wake;
    }

    s->round++;
    int closing = atomic_load(&s->closing);
    int send_all = closing || kp_accumulator_flushing(s->acc) ||
                   kp_accumulator_memory_exhausted(s->acc);
    int unknown_leader = 0;
    int64_t next_check = INT64_MAX;
    if (can_drain) {
        for (kp_topic *tp = kp_accumulator_topics(s->acc); tp; tp = tp->next) {
            int32_t n = atomic_load(&tp->partition_count);
            kp_partq **parts = atomic_load(&tp->parts);
            for (int32_t i = 0; i < n; i++)
                check_partition(s, parts[i], now_us, send_all, &next_check, &unknown_leader);
        }
    }
    if (unknown_leader) kp_sender_request_metadata(s);
    if (next_check < wake) wake = next_check;

    int nodes = kp_client_node_count(s->client);
    for (int i = 0; i < nodes && can_drain; i++) {
        kp_node *node = kp_client_node_at(s->client, i);
        if (node->ready_round != s->round) continue;
        if (!kp_client_ready(s->client, node, now_us)) {
            int64_t d = kp_client_connection_delay(s->client, node, now_us);
            if (d != INT64_MAX && now_us + d < wake) wake = now_us + d;
            continue;
        }
        kp_pbatch *stack[256];
        kp_pbatch **batches = node->nparts <= 256 ? stack : malloc((size_t)node->nparts * sizeof *batches);
        if (!batches) continue;
        int n = drain_node(s, node, batches, now_us);
        if (n) kp_sender_send_produce(s, node, batches, n, now_us);
        if (batches != stack) free(batches);
    }

    t = kp_sender_expire(s, now_us);
    if (t < wake) wake = t;

    if (closing && !s->pid_in_flight && s->inflight_head == NULL && accumulator_empty(s) &&
        !s->metadata_in_flight) {
        s->stopped = 1;
        ev_break(s->loop, EVBREAK_ALL);
        return;
    }
    arm_timer(s, wake, now_us);
}

/* ---- produce requests ---- */

static int by_topic_partition(const void *a, const void *b) {
    const kp_pbatch *x = *(kp_pbatch *const *)a, *y = *(kp_pbatch *const *)b;
    if (x->pq->topic != y->pq->topic) return x->pq->topic < y->pq->topic ? -1 : 1;
    return (x->pq->partition > y->pq->partition) - (x->pq->partition < y->pq->partition);
}

void kp_sender_send_produce(kp_sender *s, kp_node *node, kp_pbatch **batches, int n,
                            int64_t now_us) {
    kp_inflight *ctx = calloc(1, sizeof *ctx);
    kp_produce_topic_data *topics = calloc((size_t)n, sizeof *topics);
    kp_produce_partition_data *parts = calloc((size_t)n, sizeof *parts);
    kp_request *req = kp_request_new(kp_sender_produce_cb, ctx);
    if (ctx) ctx->batches = malloc((size_t)n * sizeof *ctx->batches);
    const char *fail = NULL;
    if (!ctx || !topics || !parts || !req || !ctx->batches) {
        fail = "out of memory building a Produce request";
        goto fail;
    }
    qsort(batches, (size_t)n, sizeof *batches, by_topic_partition);
    int ntopics = 0;
    for (int i = 0; i < n; i++) {
        kp_pbatch *b = batches[i];
        if (i == 0 || b->pq->topic != batches[i - 1]->pq->topic) {
            topics[ntopics].name = b->pq->topic->name;
            topics[ntopics].partition_data = &parts[i];
            ntopics++;
        }
        topics[ntopics - 1].partition_data_count++;
        parts[i].index = b->pq->partition;
        parts[i].records = b->b.buf.data;
        parts[i].records_len = b->b.buf.len;
        parts[i].inserts = b->b.ext;
        parts[i].insert_count = b->b.next;
        ctx->batches[i] = b;
        ctx->records += b->b.count;
    }
    ctx->nbatches = n;
    ctx->s = s;
    ctx->node = node;
    ctx->sent_us = now_us;
    int16_t version = kp_conn_api_version(&node->conn, KP_API_PRODUCE);
    if (version < KP_PRODUCE_MIN_VERSION) {
        fail = "broker does not support Produce v3 or later (record batch v2)";
        goto fail;
    }
    ctx->version = version;
    kp_produce_request pr = {NULL, s->acks, s->conf->request_timeout_ms, topics, ntopics};
    req->api_key = KP_API_PRODUCE;
    req->api_version = version;
    req->correlation_id = kp_conn_next_correlation_id(&node->conn);
    req->expect_response = s->acks != 0;
    kp_proto_err perr = {0};
    if (kp_produce_request_encode(&req->frame, version, req->correlation_id, s->conf->client_id,
                                  &pr, &perr)) {
        fail = "cannot encode a Produce request";
        goto fail;
    }
    free(topics);
    free(parts);
    ctx->next = s->inflight_head;
    if (s->inflight_head) s->inflight_head->prev = ctx;
    s->inflight_head = ctx;
    atomic_fetch_add(&s->stats.requests, 1);
    atomic_fetch_add(&s->stats.batches_sent, (uint64_t)n);
    atomic_fetch_add(&s->stats.in_flight_requests, 1);
    atomic_fetch_add(&s->stats.in_flight_records, ctx->records);
    for (int i = 0; i < n; i++) atomic_fetch_add(&s->stats.bytes_sent, kp_batch_size(&batches[i]->b));
    kp_client_send(s->client, node, req, now_us);
    return;
fail:
    KP_LOG_ERROR("%s (broker %s)", fail, node->conn.name);
    for (int i = 0; i < n; i++) {
        batches[i]->in_flight = 0;
        batches[i]->pq->inflight_batches--;
        batches[i]->pq->muted = 0;
        kp_sender_finish_batch(s, batches[i], KP_ERR__FAIL, fail, -1, -1);
    }
    if (ctx) free(ctx->batches);
    free(ctx);
    free(topics);
    free(parts);
    kp_request_free(req);
}
