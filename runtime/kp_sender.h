/* kp_sender.h — the sender (Java's Sender): a libev loop on its own thread
 * that turns ready batches into Produce requests, handles their responses
 * (retry, split, expiry, ordering, idempotence) and keeps metadata fresh. */
#ifndef KP_SENDER_H
#define KP_SENDER_H

#include <ev.h>
#include <pthread.h>
#include <stdatomic.h>

#include "kp_accumulator.h"
#include "kp_client.h"
#include "kp_compress.h"
#include "kp_conf.h"

/* A finished batch handed to the application thread: its records' callbacks
 * run from there (poll/flush), never on the sender thread. */
typedef struct kp_completion {
    struct kp_completion *next;
    kp_topic *topic;
    int32_t partition;
    int err;
    char *errstr;              /* owned; NULL on success */
    int64_t base_offset;       /* -1 when unknown */
    int64_t log_append_time;   /* -1 unless LogAppendTime */
    int32_t record_count;
    kp_record_ref *refs;       /* owned */
    int nrefs;
    int64_t sent_us;           /* the batch's last drain into a request, 0 if never */
    int64_t acked_us;          /* when the outcome was known */
} kp_completion;

void kp_completion_free(kp_completion *c);

/* Counters the producer reports (sender-thread writes, anyone reads). */
typedef struct kp_sender_stats {
    _Atomic uint64_t records_acked, records_failed, records_retried;
    _Atomic uint64_t batches_sent, batches_retried, batches_split, batches_expired;
    _Atomic uint64_t bytes_sent;          /* record batch bytes in Produce requests */
    _Atomic uint64_t requests, responses;
    _Atomic uint64_t request_latency_us_sum; /* Produce request to response */
    _Atomic uint64_t request_latency_us_max;
    _Atomic int64_t in_flight_requests;
    _Atomic int64_t in_flight_records;    /* drained, not yet completed */
    _Atomic uint64_t metadata_requests, epoch_bumps;
    _Atomic uint64_t gap_retries; /* refused for a known gap, retried in the same epoch */
    _Atomic int64_t partition_in_flight_max; /* most batches of one partition in flight at once */
    _Atomic uint64_t batches_compressed_by_threads;
} kp_sender_stats;

typedef struct kp_inflight kp_inflight;

typedef struct kp_sender {
    const kp_conf *conf;
    kp_accumulator *acc;
    kp_client *client;
    struct ev_loop *loop;
    ev_async wakeup;
    ev_timer timer;
    ev_prepare prepare;
    kp_compressor *cz;
    struct kp_sealer *sealer;    /* compression threads, NULL when none */
    kp_buf scratch;
    kp_codec codec;
    int level;
    int16_t acks;
    int per_partition_in_flight; /* batches in flight per partition; 0 = no limit */
    unsigned round;

    kp_retry_policy_fn *retry_policy; /* optional, set before the first send */
    void *retry_policy_ud;

    /* delivery to the application */
    void (*deliver)(kp_completion *c, void *ud);
    void *deliver_ud;

    /* metadata */
    int metadata_needed;
    int metadata_in_flight;
    int metadata_topic_count;     /* topics named by the request in flight */
    int64_t metadata_updated_us;
    int64_t metadata_attempt_us;
    int metadata_failures;
    int64_t metadata_warned_us;

    /* idempotence: the identity stamped into every batch */
    int idempotent;
    int64_t producer_id;
    int16_t producer_epoch;
    int pid_in_flight;
    int epoch_bump_needed;
    int64_t pid_retry_us;
    int pid_failures;

    kp_inflight *inflight_head;  /* Produce requests awaiting an answer */
    int64_t expiry_scan_due_us;  /* no delivery timeout can fire before this */

    _Atomic int ever_ready;      /* some broker connection got past ApiVersions */
    pthread_mutex_t conn_error_lock;
    char conn_error[256];        /* why the last connection failed */
    _Atomic int metadata_wanted; /* set by other threads: new topic to look up */
    _Atomic int closing;         /* graceful: drain everything, then stop */
    _Atomic int forced;          /* forced: fail what is left, stop now */
    int stopped;
    char fatal[256];             /* set when the producer cannot go on */

    kp_sender_stats stats;
} kp_sender;

/* Sets up a sender (not yet running) over acc with its own loop and client.
 * deliver is called on the sender thread for every finished batch; it takes
 * ownership of the completion. Returns 0 or -1 with errstr set. */
int kp_sender_init(kp_sender *s, const kp_conf *conf, kp_accumulator *acc,
                   void (*deliver)(kp_completion *, void *), void *deliver_ud, char *errstr,
                   size_t errlen);
/* Runs the loop until stopped (the sender thread's body). */
void *kp_sender_thread(void *sender);
/* Thread-safe: makes the loop look at the accumulator again. */
void kp_sender_wakeup(void *sender);
/* Thread-safe: asks for a Metadata request (a sender of records met a new topic). */
void kp_sender_want_metadata(kp_sender *s);
/* Thread-safe: asks for a graceful stop (drain everything) or a forced one. */
void kp_sender_initiate_close(kp_sender *s, int force);
/* Thread-safe: 1 once any broker answered, else 0; last_error gets the
 * latest connection failure (for "no broker reachable" messages). */
int kp_sender_reachability(kp_sender *s, char *last_error, size_t len);
/* Frees what init made; the thread must have exited. */
void kp_sender_destroy(kp_sender *s);

/* ---- internal, shared by kp_sender*.c ---- */

/* One Produce request in flight: the batches it carries. */
struct kp_inflight {
    kp_inflight *next, *prev;
    kp_sender *s;
    kp_node *node;
    kp_pbatch **batches;
    int nbatches;
    int records;
    int64_t sent_us;
    int16_t version;
};

void kp_sender_run_once(kp_sender *s, int64_t now_us);
void kp_sender_send_produce(kp_sender *s, kp_node *node, kp_pbatch **batches, int n,
                            int64_t now_us);
/* Response handling (kp_sender_complete.c). */
void kp_sender_produce_cb(kp_request *req, int err, const char *reason, kp_reader *body);
/* Finishes a batch for good: success (err 0) or failure; hands its records'
 * callbacks to the application and releases its memory. */
void kp_sender_finish_batch(kp_sender *s, kp_pbatch *b, int err, const char *errstr,
                            int64_t base_offset, int64_t log_append_time);
/* Fails batches past delivery.timeout.ms; returns the next expiry time. */
int64_t kp_sender_expire(kp_sender *s, int64_t now_us);
/* Forced close: fails every queued and in-flight batch. */
void kp_sender_abort_all(kp_sender *s, int err, const char *errstr);

/* Metadata (kp_sender_metadata.c). */
void kp_sender_request_metadata(kp_sender *s);
/* Sends a Metadata request when one is due; returns when the next is due. */
int64_t kp_sender_maybe_update_metadata(kp_sender *s, int64_t now_us);

/* Idempotence (kp_sender_idempotence.c). Returns 1 when batches may be
 * drained (a valid producer id, no epoch bump pending), else 0 after making
 * progress towards one; *wake_us says when to look again. */
int kp_sender_idempotence_ready(kp_sender *s, int64_t now_us, int64_t *wake_us);
/* Stamps a drained batch with id, epoch and the partition's next sequence. */
void kp_sender_assign_sequence(kp_sender *s, kp_pbatch *b);
/* Gives the halves of a split batch the whole's id, epoch and sequence range
 * (Java's ProducerBatch.split): the range the broker expects is unchanged,
 * and the halves sort ahead of any later batch the broker refused. */
void kp_sender_split_sequences(const kp_pbatch *whole, kp_pbatch *first, kp_pbatch *second);
/* Bookkeeping when a sequenced batch finishes: err 0 (acked) or its error. */
void kp_sender_sequence_done(kp_sender *s, kp_pbatch *b, int err);
/* For an OUT_OF_ORDER_SEQUENCE_NUMBER answer: 1 when the gap the broker saw
 * is one kprod knows of (Java's canRetry): an earlier batch of the partition
 * is still unacknowledged (failed and queued for a retry, or in flight), or
 * the batch belongs to an epoch already replaced. It is then retried behind
 * that batch with no new epoch; 0 means the broker lost track of us. */
int kp_sender_gap_explained(kp_sender *s, kp_pbatch *b);
/* Java's shouldStopDrainBatchesForPartition. */
int kp_sender_hold_partition(kp_sender *s, kp_partq *pq, kp_pbatch *first);

#endif
