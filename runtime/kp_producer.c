/* kp_producer.c — the public producer: send (partition, append), delivery
 * reports on the application's thread, flush, close, metrics. */
#include "kp_producer.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kp_err.h"
#include "kp_log.h"
#include "kp_partitioner.h"
#include "kp_sender.h"
#include "kp_time.h"

struct kp_producer {
    kp_conf *conf;
    kp_accumulator *acc;
    kp_sender sender;
    pthread_t thread;
    int thread_started;

    /* Finished batches waiting for their callbacks on the application side. */
    pthread_mutex_t done_lock;
    pthread_cond_t done_cond;
    kp_completion *done_head, *done_tail;
    int sender_exited;

    _Atomic int64_t outstanding;
    _Atomic uint64_t records_sent;
    _Atomic uint32_t rng;
};

/* ---- completions ---- */

static void deliver(kp_completion *c, void *ud) {
    kp_producer *p = ud;
    pthread_mutex_lock(&p->done_lock);
    c->next = NULL;
    if (p->done_tail) p->done_tail->next = c;
    else p->done_head = c;
    p->done_tail = c;
    pthread_cond_broadcast(&p->done_cond);
    pthread_mutex_unlock(&p->done_lock);
}

static void run_completion(kp_producer *p, kp_completion *c) {
    kp_delivery_report r;
    for (int i = 0; i < c->nrefs; i++) {
        kp_record_ref *ref = &c->refs[i];
        r.err = c->err;
        r.errstr = c->errstr;
        r.topic = c->topic->name;
        r.partition = c->partition;
        r.offset = c->base_offset >= 0 ? c->base_offset + ref->index : -1;
        r.timestamp = c->log_append_time >= 0 ? c->log_append_time : ref->timestamp;
        r.opaque = ref->opaque;
        r.enqueue_us = ref->enqueue_us;
        r.sent_us = c->sent_us;
        r.acked_us = c->acked_us;
        ref->cb(&r, ref->opaque);
    }
    atomic_fetch_sub(&p->outstanding, c->record_count);
}

/* Takes every waiting completion, waiting until deadline_us for one. */
static kp_completion *take_completions(kp_producer *p, int64_t deadline_us) {
    pthread_mutex_lock(&p->done_lock);
    while (!p->done_head && !p->sender_exited && deadline_us > kp_now_us()) {
        struct timespec ts = {deadline_us / 1000000, (deadline_us % 1000000) * 1000};
        pthread_cond_timedwait(&p->done_cond, &p->done_lock, &ts);
    }
    kp_completion *c = p->done_head;
    p->done_head = p->done_tail = NULL;
    pthread_mutex_unlock(&p->done_lock);
    return c;
}

static int run_completions(kp_producer *p, kp_completion *c) {
    int records = 0;
    while (c) {
        kp_completion *next = c->next;
        run_completion(p, c);
        records += c->record_count;
        kp_completion_free(c);
        c = next;
    }
    return records;
}

int kp_producer_poll(kp_producer *p, int timeout_ms) {
    int64_t deadline = timeout_ms > 0 ? kp_now_us() + KP_MS(timeout_ms) : 0;
    return run_completions(p, take_completions(p, deadline));
}

int64_t kp_producer_outstanding(kp_producer *p) { return atomic_load(&p->outstanding); }

/* ---- lifecycle ---- */

static void *sender_main(void *arg) {
    kp_producer *p = arg;
    /* Named for top -H, perf and /proc: the script's thread keeps the process name. */
    pthread_setname_np(pthread_self(), "kprod-sender");
    kp_sender_thread(&p->sender);
    pthread_mutex_lock(&p->done_lock);
    p->sender_exited = 1;
    pthread_cond_broadcast(&p->done_cond);
    pthread_mutex_unlock(&p->done_lock);
    return NULL;
}

kp_producer *kp_producer_new(kp_conf *conf, char *errstr, size_t errlen) {
    kp_producer *p = NULL;
    if (!conf) {
        snprintf(errstr, errlen, "no configuration given");
        return NULL;
    }
    if (kp_conf_validate(conf, errstr, errlen)) goto err;
    if (errstr[0]) KP_LOG_INFO("configuration adjusted: %s", errstr);
    errstr[0] = 0;
    if (!conf->bootstrap_servers || !conf->bootstrap_servers[0]) {
        snprintf(errstr, errlen, "bootstrap.servers is not set: name at least one host:port");
        goto err;
    }
    p = calloc(1, sizeof *p);
    if (!p) {
        snprintf(errstr, errlen, "out of memory");
        goto err;
    }
    p->conf = conf;
    p->rng = (uint32_t)kp_now_us();
    pthread_mutex_init(&p->done_lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&p->done_cond, &attr);
    pthread_condattr_destroy(&attr);
    p->acc = kp_accumulator_new(conf, kp_sender_wakeup, &p->sender);
    if (!p->acc) {
        snprintf(errstr, errlen, "out of memory");
        goto err;
    }
    if (kp_sender_init(&p->sender, conf, p->acc, deliver, p, errstr, errlen)) goto err;
    if (pthread_create(&p->thread, NULL, sender_main, p)) {
        snprintf(errstr, errlen, "cannot start the sender thread: %s", strerror(errno));
        kp_sender_destroy(&p->sender);
        goto err;
    }
    p->thread_started = 1;
    return p;
err:
    if (p) {
        kp_accumulator_destroy(p->acc);
        pthread_mutex_destroy(&p->done_lock);
        pthread_cond_destroy(&p->done_cond);
        free(p);
    }
    kp_conf_free(conf);
    return NULL;
}

void kp_producer_stop_accepting(kp_producer *p) { kp_accumulator_close(p->acc); }

int kp_producer_close(kp_producer *p, int timeout_ms) {
    if (!p) return 0;
    int forced = timeout_ms == 0;
    kp_accumulator_close(p->acc);
    kp_sender_initiate_close(&p->sender, forced);
    int64_t deadline = timeout_ms < 0 ? INT64_MAX : kp_now_us() + KP_MS(timeout_ms);
    for (;;) {
        int64_t now = kp_now_us();
        int64_t wait_until = deadline < now + KP_MS(100) ? deadline : now + KP_MS(100);
        run_completions(p, take_completions(p, wait_until));
        pthread_mutex_lock(&p->done_lock);
        int exited = p->sender_exited;
        pthread_mutex_unlock(&p->done_lock);
        if (exited) break;
        if (!forced && kp_now_us() >= deadline) {
            KP_LOG_WARN("close: %lld records still undelivered after %d ms: forcing",
                        (long long)atomic_load(&p->outstanding), timeout_ms);
            forced = 1;
            kp_sender_initiate_close(&p->sender, 1);
        }
    }
    pthread_join(p->thread, NULL);
    kp_sender_destroy(&p->sender); /* closes connections: in-flight batches finish here */
    run_completions(p, take_completions(p, 0));
    kp_accumulator_destroy(p->acc);
    pthread_mutex_destroy(&p->done_lock);
    pthread_cond_destroy(&p->done_cond);
    kp_conf_free(p->conf);
    free(p);
    return forced ? KP_ERR__DESTROY : 0;
}

/* ---- send ---- */

/* Waits for the topic's metadata as Java's waitOnMetadata does; when it had
 * to wait, *now_us becomes the time it stopped waiting. Returns 0 or a
 * kp_err code with errstr set. */
static int topic_ready(kp_producer *p, kp_topic *t, int64_t deadline_us, int64_t *now_us,
                       char *errstr, size_t errlen) {
    if (atomic_load_explicit(&t->partition_count, memory_order_acquire) == 0) {
        kp_sender_want_metadata(&p->sender);
        int rc = kp_accumulator_wait_metadata(p->acc, t, deadline_us);
        *now_us = kp_now_us();
        if (rc) {
            snprintf(errstr, errlen, "interrupted while waiting for metadata of topic '%s'", t->name);
            return KP_ERR__INTR;
        }
    }
    int err = atomic_load(&t->err);
    if (err) {
        snprintf(errstr, errlen, "topic '%s': %s: %s", t->name, kp_err_name(err), kp_err_desc(err));
        return err;
    }
    if (kp_accumulator_closed(p->acc)) {
        snprintf(errstr, errlen, "producer is closed");
        return KP_ERR__DESTROY;
    }
    if (p->sender.fatal[0]) {
        snprintf(errstr, errlen, "%s", p->sender.fatal);
        return KP_ERR__FATAL;
    }
    if (atomic_load(&t->partition_count) == 0) {
        char why[256];
        if (!kp_sender_reachability(&p->sender, why, sizeof why)) {
            snprintf(errstr, errlen,
                     "no broker reachable at bootstrap.servers=%s within max.block.ms=%lld ms "
                     "(last error: %s)",
                     p->conf->bootstrap_servers, (long long)p->conf->max_block_ms, why);
            return KP_ERR__ALL_BROKERS_DOWN;
        }
        snprintf(errstr, errlen, "topic '%s' not present in metadata after max.block.ms=%lld ms",
                 t->name, (long long)p->conf->max_block_ms);
        return KP_ERR__UNKNOWN_TOPIC;
    }
    return 0;
}

static int32_t choose_partition(kp_producer *p, kp_topic *t, int32_t n, const void *key,
                                int32_t key_len, size_t record_size) {
    if (key && !p->conf->partitioner_ignore_keys) {
        kp_partitioner_kind kind = (kp_partitioner_kind)p->conf->kprod_partitioner;
        if (kind == KP_PARTITIONER_DEFAULT) return kp_partition_murmur2(key, (size_t)key_len, n);
        if (kind != KP_PARTITIONER_RANDOM && kind != KP_PARTITIONER_ROUND_ROBIN) {
            kp_placement pl = {{-1}, {0}, atomic_fetch_add(&p->rng, 0x9e3779b9u)};
            return kp_partition_choose(kind, key, (size_t)key_len, n, &pl);
        }
    }
    /* Keyless (or keys ignored): stick to one partition until about
     * batch.size bytes went there, then move on (KIP-480 / KIP-794). */
    pthread_mutex_lock(&t->sticky_lock);
    uint32_t rng = atomic_fetch_add(&p->rng, 0x9e3779b9u);
    int32_t part;
    kp_partitioner_kind kind = (kp_partitioner_kind)p->conf->kprod_partitioner;
    if (kind == KP_PARTITIONER_RANDOM) {
        part = kp_partition_random(n, &rng);
    } else if (kind == KP_PARTITIONER_ROUND_ROBIN) {
        kp_placement pl = {{-1}, {(uint32_t)t->sticky_bytes}, rng};
        part = kp_partition_choose(kind, NULL, 0, n, &pl);
        t->sticky_bytes++;
    } else {
        part = kp_sticky_partition(&t->sticky, n, &rng);
        t->sticky_bytes += (int64_t)record_size;
        if (t->sticky_bytes >= p->conf->batch_size) {
            kp_sticky_next(&t->sticky, n, &rng);
            t->sticky_bytes = 0;
        }
    }
    pthread_mutex_unlock(&t->sticky_lock);
    return part;
}

/* Both sends: r holds the record, its timestamp not yet defaulted. */
static int send_record(kp_producer *p, const char *topic, int32_t partition, kp_send_record *r,
                       char *errstr, size_t errlen) {
    const void *key = r->key, *value = r->value;
    int32_t key_len = r->key_len, value_len = r->value_len;
    const kp_header *headers = r->headers;
    int header_count = r->header_count;
    if (!topic || !topic[0]) {
        snprintf(errstr, errlen, "send: topic must be a non-empty string");
        return KP_ERR__INVALID_ARG;
    }
    if ((key && key_len < 0) || (value && value_len < 0) || header_count < 0 ||
        (header_count > 0 && !headers)) {
        snprintf(errstr, errlen, "send: negative key, value or header length");
        return KP_ERR__INVALID_ARG;
    }
    size_t size = KP_BATCH_HEADER_SIZE +
                  kp_record_size_upper_bound(key ? key_len : -1, value ? value_len : -1, headers,
                                             header_count);
    if (size > (size_t)p->conf->max_request_size) {
        snprintf(errstr, errlen, "record of %zu bytes is larger than max.request.size=%d", size,
                 p->conf->max_request_size);
        return KP_ERR_MESSAGE_TOO_LARGE;
    }
    if ((int64_t)size > p->conf->buffer_memory) {
        snprintf(errstr, errlen, "record of %zu bytes is larger than buffer.memory=%lld", size,
                 (long long)p->conf->buffer_memory);
        return KP_ERR_MESSAGE_TOO_LARGE;
    }
    if (kp_accumulator_closed(p->acc)) {
        snprintf(errstr, errlen, "producer is closed");
        return KP_ERR__DESTROY;
    }
    /* One clock reading per record: clock_gettime was 16% of a send's cost. */
    int64_t now = kp_now_us();
    int64_t deadline = now + KP_MS(p->conf->max_block_ms);
    kp_topic *t = kp_accumulator_topic(p->acc, topic, strlen(topic));
    if (!t) {
        snprintf(errstr, errlen, "out of memory");
        return KP_ERR__NO_MEMORY;
    }
    int rc = topic_ready(p, t, deadline, &now, errstr, errlen);
    if (rc) return rc;
    int32_t n = atomic_load_explicit(&t->partition_count, memory_order_acquire);
    if (partition == KP_PARTITION_ANY) {
        partition = choose_partition(p, t, n, key, key_len, size);
    } else if (partition < 0 || partition >= n) {
        snprintf(errstr, errlen, "partition %d of topic '%s' does not exist (it has %d)",
                 partition, topic, n);
        return KP_ERR__UNKNOWN_PARTITION;
    }
    kp_partq *pq = kp_topic_partition(t, partition);
    if (r->timestamp <= 0) r->timestamp = kp_wallclock_ms_at(now);
    int64_t block = p->conf->max_block_ms > 0 && deadline > now ? deadline - now : 0;
    atomic_fetch_add(&p->outstanding, 1);
    rc = kp_accumulator_append(p->acc, pq, r, now, block);
    if (rc) {
        atomic_fetch_sub(&p->outstanding, 1);
        if (rc == KP_ERR__QUEUE_FULL)
            snprintf(errstr, errlen,
                     "buffer.memory=%lld is full and no room came within max.block.ms=%lld ms",
                     (long long)p->conf->buffer_memory, (long long)p->conf->max_block_ms);
        else if (rc == KP_ERR__DESTROY)
            snprintf(errstr, errlen, "producer is closed");
        else if (rc == KP_ERR__INTR)
            snprintf(errstr, errlen, "interrupted while waiting for room in buffer.memory=%lld",
                     (long long)p->conf->buffer_memory);
        else
            snprintf(errstr, errlen, "%s", kp_err_desc(rc));
        return rc;
    }
    atomic_fetch_add_explicit(&p->records_sent, 1, memory_order_relaxed);
    return 0;
}

int kp_producer_send(kp_producer *p, const char *topic, int32_t partition, const void *key,
                     int32_t key_len, const void *value, int32_t value_len,
                     const kp_header *headers, int header_count, int64_t timestamp,
                     kp_delivery_cb *cb, void *opaque, char *errstr, size_t errlen) {
    kp_send_record r = {timestamp, key,     key_len,      value, value_len, NULL,
                        NULL,      headers, header_count, cb,    opaque};
    return send_record(p, topic, partition, &r, errstr, errlen);
}

int kp_producer_send_blob(kp_producer *p, const char *topic, int32_t partition, const void *key,
                          int32_t key_len, kp_blob *blob, size_t offset, int32_t value_len,
                          const kp_crc32c_piece *value_crc,
                          const kp_header *headers, int header_count, int64_t timestamp,
                          kp_delivery_cb *cb, void *opaque, char *errstr, size_t errlen) {
    if (!kp_blob_holds(blob, offset, value_len)) {
        snprintf(errstr, errlen, "send: value range %zu+%d is outside its blob of %zu bytes",
                 offset, value_len, blob ? blob->len : 0);
        return KP_ERR__INVALID_ARG;
    }
    kp_blob *ref = kp_blob_sent_by_reference(value_len) ? blob : NULL;
    kp_send_record r = {timestamp, key,     key_len,      blob->data + offset, value_len, ref,
                        value_crc, headers, header_count, cb,                  opaque};
    return send_record(p, topic, partition, &r, errstr, errlen);
}

/* ---- flush, metrics ---- */

int kp_producer_flush(kp_producer *p, int timeout_ms) {
    int64_t deadline = timeout_ms < 0 ? INT64_MAX : kp_now_us() + KP_MS(timeout_ms);
    kp_accumulator_begin_flush(p->acc);
    int rc = 0;
    for (;;) {
        run_completions(p, take_completions(p, 0));
        if (atomic_load(&p->outstanding) <= 0) break;
        int64_t now = kp_now_us();
        if (now >= deadline) {
            rc = KP_ERR__TIMED_OUT;
            break;
        }
        run_completions(p, take_completions(p, deadline < now + KP_MS(100) ? deadline : now + KP_MS(100)));
        kp_sender_wakeup(&p->sender);
    }
    kp_accumulator_end_flush(p->acc);
    return rc;
}

void kp_producer_metrics(kp_producer *p, kp_metrics *m) {
    kp_sender_stats *s = &p->sender.stats;
    memset(m, 0, sizeof *m);
    m->records_sent = atomic_load(&p->records_sent);
    m->records_acked = atomic_load(&s->records_acked);
    m->records_failed = atomic_load(&s->records_failed);
    m->records_retried = atomic_load(&s->records_retried);
    m->batches_sent = atomic_load(&s->batches_sent);
    m->batches_retried = atomic_load(&s->batches_retried);
    m->batches_split = atomic_load(&s->batches_split);
    m->batches_expired = atomic_load(&s->batches_expired);
    m->bytes_sent = atomic_load(&s->bytes_sent);
    m->requests = atomic_load(&s->requests);
    m->responses = atomic_load(&s->responses);
    uint64_t lat = atomic_load(&s->request_latency_us_sum);
    m->request_latency_avg_ms = m->responses ? (double)lat / (double)m->responses / 1000.0 : 0;
    m->request_latency_max_ms = (double)atomic_load(&s->request_latency_us_max) / 1000.0;
    m->in_flight_requests = atomic_load(&s->in_flight_requests);
    m->in_flight_records = atomic_load(&s->in_flight_records);
    m->outstanding_records = atomic_load(&p->outstanding);
    m->buffer_bytes = kp_accumulator_buffer_used(p->acc);
    m->buffer_limit = p->conf->buffer_memory;
    m->metadata_requests = atomic_load(&s->metadata_requests);
    m->epoch_bumps = atomic_load(&s->epoch_bumps);
    m->gap_retries = atomic_load(&s->gap_retries);
    m->partition_in_flight_max = atomic_load(&s->partition_in_flight_max);
    m->batches_compressed_by_threads = atomic_load(&s->batches_compressed_by_threads);
    m->backlog_waits = kp_accumulator_backlog_waits(p->acc);
}

int32_t kp_producer_partition_count(kp_producer *p, const char *topic, int timeout_ms) {
    char err[256];
    kp_topic *t = kp_accumulator_topic(p->acc, topic, strlen(topic));
    if (!t) return KP_ERR__NO_MEMORY;
    int64_t now = kp_now_us();
    int rc = topic_ready(p, t, now + KP_MS(timeout_ms), &now, err, sizeof err);
    return rc ? rc : atomic_load(&t->partition_count);
}

const kp_conf *kp_producer_conf(const kp_producer *p) { return p->conf; }

void kp_producer_set_interrupt_check(kp_producer *p, int (*check)(void)) {
    kp_accumulator_set_interrupt_check(p->acc, check);
}

void kp_producer_set_retry_policy(kp_producer *p, kp_retry_policy_fn *fn, void *ud) {
    p->sender.retry_policy_ud = ud;
    p->sender.retry_policy = fn;
}
