/* kp_producer.h — kprod's public C API: a Kafka producer with the Java
 * client's semantics (KafkaProducer), running its sender on its own thread. */
#ifndef KP_PRODUCER_H
#define KP_PRODUCER_H

#include <stddef.h>
#include <stdint.h>

#include "kp_accumulator.h"
#include "kp_batch.h"
#include "kp_conf.h"

typedef struct kp_producer kp_producer;

/* Creates a producer and starts its sender thread. Takes ownership of conf
 * (validated here, freed with the producer, also on failure). Returns NULL
 * with errstr naming the property at fault, or the reason. Nothing is sent
 * before the first record; brokers are contacted right away for metadata. */
kp_producer *kp_producer_new(kp_conf *conf, char *errstr, size_t errlen);

#define KP_PARTITION_ANY (-1)

/* Hands one record to the producer (Java's KafkaProducer.send).
 *  - topic: NUL-terminated name. partition: KP_PARTITION_ANY to let the
 *    configured partitioner choose (murmur2 for keys, sticky without).
 *  - key/value: NULL means null; bytes are copied before return.
 *  - headers: header_count entries, copied too.
 *  - timestamp: CreateTime in ms; <= 0 means now.
 *  - cb: called once with the outcome, from kp_producer_poll / flush / close
 *    on the calling application thread; may be NULL.
 * Blocks up to max.block.ms for metadata of a new topic and for room in
 * buffer.memory (max.block.ms=0 fails at once instead).
 * Returns 0 when the record was accepted (cb will report its fate), or a
 * kp_err code with errstr set when it was not (cb is then NOT called):
 * KP_ERR_MESSAGE_TOO_LARGE (record over max.request.size or buffer.memory),
 * KP_ERR__QUEUE_FULL, KP_ERR__UNKNOWN_TOPIC (not in metadata after
 * max.block.ms), KP_ERR__UNKNOWN_PARTITION, a topic-level error such as
 * KP_ERR_TOPIC_AUTHORIZATION_FAILED, KP_ERR__DESTROY (closed),
 * KP_ERR__FATAL (the producer cannot continue), KP_ERR__INVALID_ARG. */
int kp_producer_send(kp_producer *p, const char *topic, int32_t partition, const void *key,
                     int32_t key_len, const void *value, int32_t value_len,
                     const kp_header *headers, int header_count, int64_t timestamp,
                     kp_delivery_cb *cb, void *opaque, char *errstr, size_t errlen);

/* Values at least this long are sent by reference by kp_producer_send_blob;
 * shorter ones are copied. */
#define KP_BLOB_REF_MIN_BYTES 512

/* 1 when kp_producer_send_blob refers to a value this long, 0 when it copies
 * it: a short value costs less to copy than to refer to (an insert per
 * record, a piece more for writev). */
static inline int kp_blob_sent_by_reference(int32_t value_len) {
    return value_len >= KP_BLOB_REF_MIN_BYTES;
}

/* kp_producer_send with the value blob->data[offset..offset+value_len):
 * instead of being copied, it stays in the blob, which the producer holds a
 * reference to until the record's batch is done with (shorter than
 * KP_BLOB_REF_MIN_BYTES: copied). The bytes still count against
 * buffer.memory. value_crc, when not NULL, is the value's
 * kp_crc32c_piece_of: a value sent many times is then not read again for
 * each batch's CRC (the blob must not change, as always). A range outside
 * the blob is KP_ERR__INVALID_ARG. */
int kp_producer_send_blob(kp_producer *p, const char *topic, int32_t partition, const void *key,
                          int32_t key_len, kp_blob *blob, size_t offset, int32_t value_len,
                          const kp_crc32c_piece *value_crc,
                          const kp_header *headers, int header_count, int64_t timestamp,
                          kp_delivery_cb *cb, void *opaque, char *errstr, size_t errlen);

/* Runs the delivery callbacks that are due, waiting up to timeout_ms for the
 * first one (0 = do not wait). Returns how many records were reported. */
int kp_producer_poll(kp_producer *p, int timeout_ms);

/* Sends everything accepted so far without waiting for linger.ms and waits
 * until every record is reported (callbacks run here). timeout_ms < 0 waits
 * as long as it takes. Returns 0, or KP_ERR__TIMED_OUT. */
int kp_producer_flush(kp_producer *p, int timeout_ms);

/* Records accepted and not yet reported through their callback. */
int64_t kp_producer_outstanding(kp_producer *p);

/* Closes the producer and frees it. Graceful: stops accepting records,
 * delivers everything accepted, up to timeout_ms (< 0: no limit). Forced
 * (timeout_ms == 0, or the timeout passed): every record not yet delivered
 * fails with KP_ERR__DESTROY. Either way every callback has run when this
 * returns. Returns 0 after a graceful close, KP_ERR__DESTROY after a forced one. */
int kp_producer_close(kp_producer *p, int timeout_ms);

/* A thread-safe request for close from a signal-driven loop: makes blocked
 * sends return KP_ERR__DESTROY. The owner still calls kp_producer_close. */
void kp_producer_stop_accepting(kp_producer *p);

typedef struct kp_metrics {
    uint64_t records_sent;      /* accepted by send */
    uint64_t records_acked;
    uint64_t records_failed;
    uint64_t records_retried;   /* record-attempts re-sent after a retriable error */
    uint64_t batches_sent;      /* batch-attempts in Produce requests */
    uint64_t batches_retried, batches_split, batches_expired;
    uint64_t bytes_sent;        /* record batch bytes (after compression) */
    uint64_t requests, responses;
    double request_latency_avg_ms, request_latency_max_ms;
    int64_t in_flight_requests;
    int64_t in_flight_records;
    int64_t outstanding_records; /* accepted, not yet reported */
    int64_t buffer_bytes;        /* buffer.memory in use */
    int64_t buffer_limit;
    uint64_t metadata_requests, epoch_bumps;
    uint64_t gap_retries; /* refused behind a failed batch, retried with no new epoch */
    int64_t partition_in_flight_max; /* most batches of one partition in flight at once */
    uint64_t batches_compressed_by_threads; /* sealed by kprod.compression.threads */
    uint64_t backlog_waits; /* sends that waited for kprod.partition.backlog.batches */
} kp_metrics;

/* Fills *m with counters since creation. Thread-safe. */
void kp_producer_metrics(kp_producer *p, kp_metrics *m);

/* Partition count of topic (waiting up to timeout_ms for metadata), or a
 * negative kp_err code. For custom partitioners. */
int32_t kp_producer_partition_count(kp_producer *p, const char *topic, int timeout_ms);

/* Installs a retry policy (see kp_retry_policy_fn), called on the sender
 * thread. Set it before the first send; NULL restores Java's rule. */
void kp_producer_set_retry_policy(kp_producer *p, kp_retry_policy_fn *fn, void *ud);

/* A check that a send blocked for metadata or buffer.memory makes every
 * 100 ms: when it returns non-zero, the send gives up with KP_ERR__INTR.
 * For signal handling (it reads a flag a handler set). Set before sends. */
void kp_producer_set_interrupt_check(kp_producer *p, int (*check)(void));

/* The validated configuration the producer runs with (read only). */
const kp_conf *kp_producer_conf(const kp_producer *p);

#endif
