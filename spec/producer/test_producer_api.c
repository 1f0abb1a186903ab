/* test_producer_api.c — the public C API (kp_producer.h) against an in-process
 * mock cluster: validation at creation, sends from many threads with exactly
 * one callback each, flush, buffer.memory without blocking, a partition's
 * backlog bound, graceful and forced close. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "kp_err.h"
#include "kp_mock_cluster.h"
#include "kp_producer.h"
#include "kp_test.h"
#include "kp_time.h"

static kp_mock_cluster *cluster;
static char err[512];

static kp_producer *make(const char *const *props) {
    kp_conf *conf = kp_conf_new();
    kp_conf_set(conf, "bootstrap.servers", kp_mock_cluster_bootstraps(cluster), err, sizeof err);
    for (; props && *props; props += 2)
        if (kp_conf_set(conf, props[0], props[1], err, sizeof err)) fprintf(stderr, "%s\n", err);
    kp_producer *p = kp_producer_new(conf, err, sizeof err);
    if (!p) fprintf(stderr, "kp_producer_new: %s\n", err);
    return p;
}

static void test_bad_configuration(void) {
    kp_conf *conf = kp_conf_new();
    KP_CHECK(kp_conf_set(conf, "linger.ms", "-5", err, sizeof err) != 0);
    KP_CHECK(strstr(err, "linger.ms") != NULL);
    kp_conf_set(conf, "bootstrap.servers", kp_mock_cluster_bootstraps(cluster), err, sizeof err);
    kp_conf_set(conf, "acks", "1", err, sizeof err);
    kp_conf_set(conf, "enable.idempotence", "true", err, sizeof err);
    KP_CHECK(kp_producer_new(conf, err, sizeof err) == NULL); /* conf is freed either way */
    KP_CHECK(strstr(err, "enable.idempotence") && strstr(err, "acks"));
    KP_CHECK(kp_producer_new(kp_conf_new(), err, sizeof err) == NULL);
    KP_CHECK(strstr(err, "bootstrap.servers") != NULL);
}

/* ---- many senders ---- */

#define THREADS 4
#define PER_THREAD 25000
static _Atomic int calls[THREADS * PER_THREAD];
static _Atomic int errors_seen;

static void count_delivery(const kp_delivery_report *r, void *opaque) {
    intptr_t id = (intptr_t)opaque;
    atomic_fetch_add(&calls[id], 1);
    if (r->err || r->offset < 0) atomic_fetch_add(&errors_seen, 1);
}

typedef struct sender_arg {
    kp_producer *p;
    int thread;
    int rc;
} sender_arg;

static void *sender(void *arg) {
    sender_arg *a = arg;
    char key[32], e[256];
    for (int i = 0; i < PER_THREAD; i++) {
        intptr_t id = (intptr_t)a->thread * PER_THREAD + i;
        int kl = snprintf(key, sizeof key, "k%ld", (long)id);
        int rc = kp_producer_send(a->p, "threads", KP_PARTITION_ANY, key, kl, "v", 1, NULL, 0, 0,
                                  count_delivery, (void *)id, e, sizeof e);
        if (rc) a->rc = rc;
        if (i % 1000 == 0) kp_producer_poll(a->p, 0);
    }
    return NULL;
}

static void test_threads_each_record_reported_once(void) {
    static const char *const props[] = {"linger.ms", "2", NULL};
    kp_producer *p = make(props);
    KP_CHECK(p != NULL);
    if (!p) return;
    pthread_t t[THREADS];
    sender_arg args[THREADS];
    for (int i = 0; i < THREADS; i++) {
        args[i] = (sender_arg){p, i, 0};
        pthread_create(&t[i], NULL, sender, &args[i]);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        KP_CHECK_INT(args[i].rc, 0);
    }
    KP_CHECK_INT(kp_producer_flush(p, 30000), 0);
    KP_CHECK_INT(kp_producer_outstanding(p), 0);
    int once = 0;
    for (int i = 0; i < THREADS * PER_THREAD; i++) once += atomic_load(&calls[i]) == 1;
    KP_CHECK_INT(once, THREADS * PER_THREAD);
    KP_CHECK_INT(atomic_load(&errors_seen), 0);
    kp_metrics m;
    kp_producer_metrics(p, &m);
    KP_CHECK_INT(m.records_sent, THREADS * PER_THREAD);
    KP_CHECK_INT(m.records_acked, THREADS * PER_THREAD);
    KP_CHECK_INT(m.records_failed, 0);
    KP_CHECK(m.batches_sent > 0 && m.bytes_sent > 0 && m.requests > 0);
    KP_CHECK_INT(kp_producer_close(p, 10000), 0);
}

/* ---- outcomes with the brokers down ---- */

static _Atomic int failed_with[4];

static void record_error(const kp_delivery_report *r, void *opaque) {
    (void)opaque;
    if (r->err == KP_ERR__DESTROY) atomic_fetch_add(&failed_with[0], 1);
    else if (r->err == KP_ERR__MSG_TIMED_OUT) atomic_fetch_add(&failed_with[1], 1);
    else if (r->err == 0) atomic_fetch_add(&failed_with[2], 1);
    else atomic_fetch_add(&failed_with[3], 1);
}

static void reset_counts(void) {
    for (int i = 0; i < 4; i++) atomic_store(&failed_with[i], 0);
}

/* Metadata first (one delivered record), then every broker down. */
static kp_producer *producer_then_down(const char *const *props, const char *topic) {
    kp_producer *p = make(props);
    if (!p) return NULL;
    char e[256];
    /* Waits for metadata explicitly: max.block.ms may be 0 here. */
    KP_CHECK(kp_producer_partition_count(p, topic, 5000) > 0);
    KP_CHECK_INT(kp_producer_send(p, topic, 0, NULL, 0, "x", 1, NULL, 0, 0, record_error, NULL,
                                  e, sizeof e), 0);
    KP_CHECK_INT(kp_producer_flush(p, 10000), 0);
    KP_CHECK_INT(kp_mock_cluster_command(cluster, "down all", e, sizeof e), 0);
    return p;
}

static void test_buffer_full_without_blocking(void) {
    static const char *const props[] = {"buffer.memory", "65536", "batch.size", "16384",
                                        "max.block.ms", "0", "linger.ms", "0", NULL};
    reset_counts();
    kp_producer *p = producer_then_down(props, "bufmem");
    if (!p) return;
    char value[1000], e[256];
    memset(value, 'v', sizeof value);
    int accepted = 0, full = 0;
    for (int i = 0; i < 200; i++) {
        int rc = kp_producer_send(p, "bufmem", 0, NULL, 0, value, sizeof value, NULL, 0, 0,
                                  record_error, NULL, e, sizeof e);
        if (rc == 0) accepted++;
        else if (rc == KP_ERR__QUEUE_FULL && strstr(e, "buffer.memory")) full++;
    }
    KP_CHECK(accepted > 0 && accepted < 200);
    KP_CHECK_INT(full, 200 - accepted);
    /* Forced close: every accepted record is reported, as _DESTROY. */
    KP_CHECK_INT(kp_producer_close(p, 0), KP_ERR__DESTROY);
    KP_CHECK_INT(atomic_load(&failed_with[0]), accepted);
    KP_CHECK_INT(atomic_load(&failed_with[2]), 1); /* the record sent before the outage */
    KP_CHECK_INT(kp_mock_cluster_command(cluster, "up all", e, sizeof e), 0);
}

/* buffer.memory counts the bytes batches hold, not batch.size per partition:
 * once every partition has been drained with a few records, its next
 * batches start small, and a hundred partitions' worth fit in 256 KiB
 * (a batch.size buffer each would need 6.4 MB). A partition that fills its
 * batch still grows it to batch.size. */
static void test_buffer_memory_counts_bytes_held(void) {
    /* linger.ms keeps each partition's records in one batch until the flush. */
    static const char *const props[] = {"buffer.memory", "262144", "batch.size", "65536",
                                        "max.block.ms", "0", "linger.ms", "60000", NULL};
    char e[256];
    KP_CHECK_INT(kp_mock_cluster_create_topic(cluster, "small", 100, 0, e, sizeof e), 0);
    reset_counts();
    kp_producer *p = make(props);
    if (!p) return;
    char value[100];
    memset(value, 'v', sizeof value);
    KP_CHECK_INT(kp_producer_partition_count(p, "small", 5000), 100); /* max.block.ms is 0 */
    /* A first batch starts at 16 KiB: ten partitions at a time. */
    for (int i = 0; i < 100; i++) {
        KP_CHECK_INT(kp_producer_send(p, "small", i, NULL, 0, value, sizeof value, NULL, 0, 0,
                                      record_error, NULL, e, sizeof e), 0);
        if (i % 10 == 9) KP_CHECK_INT(kp_producer_flush(p, 10000), 0);
    }
    kp_metrics m;
    kp_producer_metrics(p, &m);
    uint64_t batches_before = m.batches_sent - m.batches_retried;
    KP_CHECK_INT(kp_mock_cluster_command(cluster, "down all", e, sizeof e), 0);
    int accepted = 0;
    for (int round = 0; round < 3; round++)
        for (int i = 0; i < 100; i++)
            accepted += kp_producer_send(p, "small", i, NULL, 0, value, sizeof value, NULL, 0, 0,
                                         record_error, NULL, e, sizeof e) == 0;
    KP_CHECK_INT(accepted, 300);
    kp_producer_metrics(p, &m);
    KP_CHECK(m.buffer_bytes <= 100 * 2048);
    /* 600 more records into one partition: about one batch.size. */
    for (int i = 0; i < 600; i++)
        accepted += kp_producer_send(p, "small", 7, NULL, 0, value, sizeof value, NULL, 0, 0,
                                     record_error, NULL, e, sizeof e) == 0;
    KP_CHECK_INT(accepted, 900);
    KP_CHECK_INT(kp_mock_cluster_command(cluster, "up all", e, sizeof e), 0);
    KP_CHECK_INT(kp_producer_flush(p, 10000), 0);
    KP_CHECK_INT(atomic_load(&failed_with[2]), 1000);
    /* 99 partitions' one batch each, and partition 7's 603 records in two. */
    kp_producer_metrics(p, &m);
    KP_CHECK_INT(m.batches_sent - m.batches_retried - batches_before, 101);
    KP_CHECK_INT(kp_producer_close(p, 5000), 0);
}

/* ---- kprod.partition.backlog.batches ---- */

/* Sends 1 KiB records flat out to one partition of a broker answering in
 * 20 ms; returns the most buffer.memory in use seen, and the backlog waits. */
static int64_t flat_out_peak_buffer(const char *backlog, uint64_t *waits) {
    const char *const props[] = {"batch.size", "16384", "linger.ms", "5",
                                 "max.in.flight.requests.per.connection", "5",
                                 "kprod.partition.backlog.batches", backlog, NULL};
    reset_counts();
    kp_producer *p = make(props);
    if (!p) return -1;
    char value[1024], e[256];
    memset(value, 'b', sizeof value);
    /* One record first: connection, metadata and producer id are ready, so
     * the oldest batch ages only while it queues. */
    KP_CHECK_INT(kp_producer_send(p, "backlog", 0, NULL, 0, "x", 1, NULL, 0, 0, record_error, NULL,
                                  e, sizeof e), 0);
    KP_CHECK_INT(kp_producer_flush(p, 10000), 0);
    int64_t peak = 0;
    kp_metrics m;
    for (int i = 0; i < 3000; i++) {
        KP_CHECK_INT(kp_producer_send(p, "backlog", 0, NULL, 0, value, sizeof value, NULL, 0, 0,
                                      record_error, NULL, e, sizeof e), 0);
        kp_producer_metrics(p, &m);
        if (m.buffer_bytes > peak) peak = m.buffer_bytes;
    }
    KP_CHECK_INT(kp_producer_flush(p, 30000), 0);
    KP_CHECK_INT(atomic_load(&failed_with[2]), 3001); /* every record acked */
    kp_producer_metrics(p, &m);
    *waits = m.backlog_waits;
    KP_CHECK_INT(kp_producer_close(p, 5000), 0);
    return peak;
}

/* A draining partition queues a few full batches, not buffer.memory: the
 * default (max.in.flight + 1 = 6) holds the open batch, 6 full ones and 5 in
 * flight; with the bound off the queue takes most of the 3 MB sent. A send
 * that waits resumes once the backlog is down to 3, not at every batch
 * taken: fewer waits than half the ~200 batches (15 records each). */
static void test_backlog_bounds_a_draining_partition(void) {
    char e[256];
    KP_CHECK_INT(kp_mock_cluster_command(cluster, "rtt all 20", e, sizeof e), 0);
    uint64_t waits = 0, waits_off = 0;
    int64_t bounded = flat_out_peak_buffer("-1", &waits);
    int64_t unbounded = flat_out_peak_buffer("0", &waits_off);
    KP_CHECK_INT(kp_mock_cluster_command(cluster, "rtt all 0", e, sizeof e), 0);
    KP_CHECK(bounded > 0 && bounded <= 14 * 16392);
    KP_CHECK(unbounded > 3 * bounded);
    KP_CHECK(waits > 0 && waits < 100);
    KP_CHECK_INT(waits_off, 0);
}

/* A partition whose broker is down stops draining: its sends wait once, for
 * the oldest batch to age 100 ms, then go on until buffer.memory, as Java's;
 * never for max.block.ms (10 s here). */
static void test_backlog_ignores_a_stalled_partition(void) {
    static const char *const props[] = {"batch.size", "16384", "max.block.ms", "10000", NULL};
    reset_counts();
    kp_producer *p = producer_then_down(props, "stalled");
    if (!p) return;
    char value[1024], e[256];
    memset(value, 's', sizeof value);
    int64_t start = kp_now_us();
    int accepted = 0;
    for (int i = 0; i < 300; i++)
        accepted += kp_producer_send(p, "stalled", 0, NULL, 0, value, sizeof value, NULL, 0, 0,
                                     record_error, NULL, e, sizeof e) == 0;
    int64_t took_us = kp_now_us() - start;
    KP_CHECK_INT(accepted, 300);
    KP_CHECK(took_us < 2000000);
    kp_metrics m;
    kp_producer_metrics(p, &m);
    KP_CHECK(m.backlog_waits >= 1);
    KP_CHECK_INT(kp_producer_close(p, 0), KP_ERR__DESTROY);
    KP_CHECK_INT(atomic_load(&failed_with[0]), 300);
    KP_CHECK_INT(kp_mock_cluster_command(cluster, "up all", e, sizeof e), 0);
}

static void test_delivery_timeout(void) {
    static const char *const props[] = {"delivery.timeout.ms", "1500", "request.timeout.ms", "1000",
                                        "linger.ms", "0", NULL};
    reset_counts();
    kp_producer *p = producer_then_down(props, "expiry");
    if (!p) return;
    char e[256];
    for (int i = 0; i < 50; i++)
        kp_producer_send(p, "expiry", i % 2, NULL, 0, "late", 4, NULL, 0, 0, record_error, NULL, e,
                         sizeof e);
    /* Every record fails with the delivery timeout, within it plus a margin. */
    KP_CHECK_INT(kp_producer_flush(p, 3500), 0);
    KP_CHECK_INT(atomic_load(&failed_with[1]), 50);
    KP_CHECK_INT(kp_producer_close(p, 1000), 0);
    KP_CHECK_INT(kp_mock_cluster_command(cluster, "up all", e, sizeof e), 0);
}

static void test_graceful_close_delivers(void) {
    static const char *const props[] = {"linger.ms", "1000", NULL};
    reset_counts();
    kp_producer *p = make(props);
    if (!p) return;
    char e[256];
    for (int i = 0; i < 1000; i++)
        KP_CHECK_INT(kp_producer_send(p, "graceful", KP_PARTITION_ANY, "k", 1, "v", 1, NULL, 0, 0,
                                      record_error, NULL, e, sizeof e), 0);
    /* Close does not wait for linger.ms: it sends at once and reports all. */
    KP_CHECK_INT(kp_producer_close(p, 5000), 0);
    KP_CHECK_INT(atomic_load(&failed_with[2]), 1000);
    KP_CHECK_INT(atomic_load(&failed_with[0]) + atomic_load(&failed_with[3]), 0);
}

static void test_send_errors(void) {
    kp_producer *p = make(NULL);
    if (!p) return;
    char e[256];
    KP_CHECK_INT(kp_producer_send(p, "", 0, NULL, 0, "v", 1, NULL, 0, 0, NULL, NULL, e, sizeof e),
                 KP_ERR__INVALID_ARG);
    KP_CHECK_INT(kp_producer_send(p, "errs", 99, NULL, 0, "v", 1, NULL, 0, 0, NULL, NULL, e, sizeof e),
                 KP_ERR__UNKNOWN_PARTITION);
    KP_CHECK(strstr(e, "partition 99") != NULL);
    static char big[2 << 20];
    KP_CHECK_INT(kp_producer_send(p, "errs", 0, NULL, 0, big, sizeof big, NULL, 0, 0, NULL, NULL, e,
                                  sizeof e), KP_ERR_MESSAGE_TOO_LARGE);
    KP_CHECK(strstr(e, "max.request.size") != NULL);
    KP_CHECK_INT(kp_producer_close(p, 1000), 0);
    KP_CHECK_INT(kp_producer_send(p = make(NULL), "errs", 0, NULL, 0, "v", 1, NULL, 0, 0, NULL, NULL,
                                  e, sizeof e), 0);
    kp_producer_stop_accepting(p);
    KP_CHECK_INT(kp_producer_send(p, "errs", 0, NULL, 0, "v", 1, NULL, 0, 0, NULL, NULL, e, sizeof e),
                 KP_ERR__DESTROY);
    kp_producer_close(p, 1000);
}

int main(void) {
    cluster = kp_mock_cluster_new(3, 0, err, sizeof err);
    if (!cluster) {
        fprintf(stderr, "cannot start the mock cluster: %s\n", err);
        return 1;
    }
    KP_RUN(test_bad_configuration);
    KP_RUN(test_threads_each_record_reported_once);
    KP_RUN(test_send_errors);
    KP_RUN(test_buffer_full_without_blocking);
    KP_RUN(test_buffer_memory_counts_bytes_held);
    KP_RUN(test_backlog_bounds_a_draining_partition);
    KP_RUN(test_backlog_ignores_a_stalled_partition);
    KP_RUN(test_delivery_timeout);
    KP_RUN(test_graceful_close_delivers);
    kp_mock_cluster_destroy(cluster);
    return kp_test_report();
}
