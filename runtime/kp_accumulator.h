/* kp_accumulator.h — the record accumulator: per-partition queues of batches
 * built in wire form, linger and batch.size, buffer.memory, and the ready and
 * drain steps the sender runs (Java's RecordAccumulator). */
#ifndef KP_ACCUMULATOR_H
#define KP_ACCUMULATOR_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "kp_batch.h"
#include "kp_conf.h"
#include "kp_partitioner.h"

typedef struct kp_topic kp_topic;
typedef struct kp_partq kp_partq;

/* What one record's delivery callback receives. */
typedef struct kp_delivery_report {
    int err;              /* 0 or a kp_err code */
    const char *errstr;   /* NULL on success, else why (broker message or ours) */
    const char *topic;
    int32_t partition;
    int64_t offset;       /* -1 when unknown (failure, acks=0, duplicate) */
    int64_t timestamp;    /* CreateTime, or the broker's LogAppendTime */
    void *opaque;         /* the send's opaque */
    /* Where the record's time went, monotonic us (kp_now_us), for per-stage
     * latency: appended to its batch, its batch's last Produce request
     * built (0 if it never was), the outcome known on the sender thread. */
    int64_t enqueue_us, sent_us, acked_us;
} kp_delivery_report;

typedef void kp_delivery_cb(const kp_delivery_report *report, void *opaque);

/* What a retry policy is told when a batch failed with a retriable error. */
typedef struct kp_retry_ctx {
    const char *topic;
    int32_t partition;
    int attempt;            /* 1 for the first retry */
    int err;                /* the kp_err code */
    const char *message;    /* the broker's message or ours, may be NULL */
    int32_t record_count;
} kp_retry_ctx;

#define KP_RETRY_DEFAULT (-2) /* Java's rule: retry with KIP-580 backoff */
#define KP_RETRY_FAIL (-1)    /* fail the batch with its error now */
/* Decides a retriable failure: KP_RETRY_DEFAULT, KP_RETRY_FAIL, or a delay
 * in ms (0 = at once) before the retry. Runs on the sender thread; never
 * called past delivery.timeout.ms or retries, which always fail. */
typedef int kp_retry_policy_fn(const kp_retry_ctx *ctx, void *ud);

/* A record's completion slot inside its batch (only records sent with a
 * callback take one, so callback-less traffic costs nothing per record). */
typedef struct kp_record_ref {
    int32_t index;        /* offset delta inside the batch */
    int64_t timestamp;
    kp_delivery_cb *cb;
    void *opaque;
    int64_t enqueue_us;   /* when send appended it (kp_delivery_report.enqueue_us) */
} kp_record_ref;

/* Java's ProducerBatch: records of one partition bound for one request. */
typedef struct kp_pbatch {
    struct kp_pbatch *next;
    kp_partq *pq;
    kp_batch_builder b;
    int64_t created_us;
    int64_t last_attempt_us;   /* last time it was (re)enqueued after a failure */
    int64_t drained_us;
    int attempts;
    int in_retry;
    int closed;                /* sealed: takes no more records */
    int in_flight;             /* carried by a Produce request now */
    int done;                  /* finished (callbacks handed over); freed when no request holds it */
    int64_t retry_backoff_us;  /* wait before the next attempt (KIP-580) */
    size_t reserved;           /* bytes of its buffer charged against buffer.memory */
    size_t ext_reserved;       /* bytes of referenced values charged (b.ext_len or more) */
    int64_t producer_id;
    int16_t producer_epoch;
    int32_t base_sequence;     /* KP_NO_SEQUENCE until drained idempotently */
    kp_record_ref *refs;
    int nrefs, cap_refs;
    int32_t max_record_size;   /* to tell whether splitting can help */
    int full;                  /* closed because the next record would pass batch.size */
    int in_backlog;            /* counted in its partition's backlog (under pq's lock) */
    int32_t raw_size;          /* bytes in its buffer before compression */
    /* compression threads (kp_sealer.c, under its lock) */
    int seal_state;
    struct kp_pbatch *seal_next, *seal_prev;
} kp_pbatch;

/* One partition's queue. The lock guards head/tail/count (shared between
 * senders of records and the sender thread); the ready_ fields mirror
 * them for lock-free reads; the fields below those are the sender
 * thread's alone. */
struct kp_partq {
    pthread_mutex_t lock;
    kp_pbatch *head, *tail;
    int count;
    int backlog;                /* full batches queued (kprod.partition.backlog.batches) */
    kp_topic *topic;
    int32_t partition;
    /* Capacity for the next batch, learnt from the batches drained so far
     * (0: none yet); written by the sender, read by senders of records. */
    _Atomic int32_t capacity_hint;

    /* What the sender's ready check reads without the lock, published under
     * it at each batch event (never per record): the head batch, 1 when it
     * is full (more batches behind it, closed, or at batch.size), when it
     * was created, 1 when it is a retry. The sender checks every partition
     * at each wake-up; this way it takes neither the lock's line nor the
     * open batch's, which appends write, from the appending thread (with
     * 600 partitions that cost 10% of records/s at 100 B). The padding keeps
     * this line apart from the lock's. */
    char apart_from_lock[64];
    _Atomic(kp_pbatch *) ready_head;
    _Atomic int ready_full;
    _Atomic int ready_retry;
    _Atomic int64_t ready_created_us;

    /* sender thread only */
    int32_t leader;             /* broker id, -1 unknown */
    struct kp_node *leader_node;
    int muted;                  /* a batch is in flight and order must hold */
    int32_t next_sequence;      /* idempotence: next batch's base sequence */
    int32_t inflight_batches;   /* batches sent, not yet completed */
    struct kp_node *inflight_node; /* where they went (one leader at a time) */
};

/* A topic as the accumulator knows it. partition_count is 0 until metadata
 * names the topic; parts[] grows with it and old arrays are kept until
 * destruction so readers never see freed memory. */
struct kp_topic {
    kp_topic *next;             /* list of all topics, newest first */
    kp_topic *hnext;            /* hash chain */
    char *name;
    size_t name_len;
    _Atomic int32_t partition_count;
    _Atomic(kp_partq **) parts;
    _Atomic int err;            /* metadata error for the topic, 0 when none */
    kp_sticky sticky;
    int64_t sticky_bytes;       /* bytes placed on the sticky partition (KIP-794) */
    pthread_mutex_t sticky_lock;
    void *retired;              /* parts arrays replaced by growth */
    int64_t last_used_us;       /* for metadata.max.idle.ms */
};

typedef struct kp_accumulator kp_accumulator;

/* Creates an accumulator bound to conf (borrowed; must outlive it). `wakeup`
 * is called (from any thread) when the sender should look again: a batch
 * filled up, a new one was created, a flush began. */
kp_accumulator *kp_accumulator_new(const kp_conf *conf, void (*wakeup)(void *), void *wakeup_ud);
/* Frees everything, failing nothing: call after every batch was completed. */
void kp_accumulator_destroy(kp_accumulator *a);

/* Finds or creates the topic (thread-safe). NULL when out of memory. */
kp_topic *kp_accumulator_topic(kp_accumulator *a, const char *name, size_t len);
/* First topic of the list; follow ->next (entries are never removed). */
kp_topic *kp_accumulator_topics(kp_accumulator *a);

/* One record as send hands it to the accumulator. key/value NULL mean null. */
typedef struct kp_send_record {
    int64_t timestamp;
    const void *key;
    int32_t key_len;
    const void *value;
    int32_t value_len;
    /* Set: value points into this blob and the batch refers to it instead
     * of copying it. Its bytes still count against buffer.memory, so the
     * producer queues the same records either way. */
    kp_blob *value_blob;
    const kp_crc32c_piece *value_crc; /* with value_blob: the value's CRC-32C, or NULL */
    const kp_header *headers;
    int header_count;
    kp_delivery_cb *cb;
    void *opaque;
} kp_send_record;

/* Appends a record to the partition's last batch, opening a new one when it
 * does not fit. now_us is the caller's monotonic reading, the record's
 * enqueue time. Waits up to max_block_us for a draining partition's backlog
 * (kprod.partition.backlog.batches; never an error) and for buffer.memory
 * (0 = neither, failing at once without memory). Returns 0,
 * KP_ERR__QUEUE_FULL (buffer.memory exhausted past the wait),
 * KP_ERR__DESTROY (closed), or KP_ERR__NO_MEMORY. */
int kp_accumulator_append(kp_accumulator *a, kp_partq *pq, const kp_send_record *r, int64_t now_us,
                          int64_t max_block_us);

struct kp_sealer;
/* Hands full batches to compression threads from now on (before any send);
 * NULL: none. Batches taken from the queues are first claimed back. */
void kp_accumulator_set_sealer(kp_accumulator *a, struct kp_sealer *sealer);

/* Sender side: removes the first batch of pq (under its lock), taking it
 * back from a compression thread first (waiting if one is at work on it). */
kp_pbatch *kp_accumulator_poll_first(kp_accumulator *a, kp_partq *pq);
/* The sender thread's lock-free view of pq (see ready_head): its head
 * batch, NULL when empty, which stays valid there since only that thread
 * removes batches. The other fields describe that batch. */
static inline kp_pbatch *kp_partq_ready_head(kp_partq *pq) {
    return atomic_load_explicit(&pq->ready_head, memory_order_acquire);
}
/* Sender side: puts a batch back at the head of its queue for a retry, in
 * sequence order among other retried batches (Java's reenqueue /
 * insertInSequenceOrder). */
void kp_accumulator_reenqueue(kp_accumulator *a, kp_pbatch *b, int64_t now_us);
/* Releases a finished batch's memory back to buffer.memory (its refs must
 * have been taken already). */
void kp_accumulator_release(kp_accumulator *a, kp_pbatch *b);
/* Allocates an empty batch for pq outside the queue (used by splitting). */
kp_pbatch *kp_accumulator_new_batch(kp_accumulator *a, kp_partq *pq, size_t capacity);

/* Ensures the topic has `count` partition queues (sender thread, on metadata). */
int kp_accumulator_set_partitions(kp_accumulator *a, kp_topic *t, int32_t count);

/* A flush in progress makes every batch ready at once (Java's beginFlush). */
void kp_accumulator_begin_flush(kp_accumulator *a);
void kp_accumulator_end_flush(kp_accumulator *a);
int kp_accumulator_flushing(kp_accumulator *a);
/* After close, appends fail with KP_ERR__DESTROY and every batch is ready. */
void kp_accumulator_close(kp_accumulator *a);
int kp_accumulator_closed(kp_accumulator *a);
/* 1 while a sender of records waits for buffer.memory (batches are then ready). */
int kp_accumulator_memory_exhausted(kp_accumulator *a);
int64_t kp_accumulator_buffer_used(kp_accumulator *a);
/* Sends that waited for their partition's backlog to drain. */
uint64_t kp_accumulator_backlog_waits(kp_accumulator *a);

/* Wait for metadata (senders of records): blocks until the topic has
 * partitions or an error, or until deadline_us; KP_ERR__INTR when the
 * interrupt check fired first, else 0. kp_accumulator_notify_metadata wakes
 * every waiter (sender thread, after applying a Metadata response). */
int kp_accumulator_wait_metadata(kp_accumulator *a, kp_topic *t, int64_t deadline_us);
/* A check the blocking waits (metadata, backlog, buffer.memory) make every 100 ms:
 * non-zero ends the wait with KP_ERR__INTR. NULL: none. Set before sends. */
void kp_accumulator_set_interrupt_check(kp_accumulator *a, int (*check)(void));
void kp_accumulator_notify_metadata(kp_accumulator *a);

/* Partition queue of topic t, or NULL when partition is out of range. */
static inline kp_partq *kp_topic_partition(kp_topic *t, int32_t partition) {
    int32_t n = atomic_load_explicit(&t->partition_count, memory_order_acquire);
    if (partition < 0 || partition >= n) return NULL;
    return atomic_load_explicit(&t->parts, memory_order_acquire)[partition];
}

#endif
