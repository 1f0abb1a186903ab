/* kp_accumulator.c — per-partition batch queues, batch.size, linger, buffer.memory. */
#include "kp_accumulator.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kp_err.h"
#include "kp_sealer.h"
#include "kp_time.h"

#define TOPIC_BUCKETS 256
#define POOL_MAX 256

/* Bytes past a record's exact size that kp_batch_append may reserve (its
 * length varint is reserved at its widest). */
#define APPEND_SLACK 8
/* A partition's first batch, and the smallest any batch starts with. */
#define FIRST_CAPACITY (16 * 1024)
#define MIN_CAPACITY 1024

struct kp_accumulator {
    const kp_conf *conf;
    void (*wakeup)(void *);
    void *wakeup_ud;

    pthread_mutex_t topics_lock;
    kp_topic *_Atomic topics;
    _Atomic(kp_topic *) buckets[TOPIC_BUCKETS]; /* written under topics_lock */

    /* buffer.memory: bytes held by batches, and the waiters for room. */
    _Atomic int64_t buffer_used;
    int64_t buffer_limit;
    pthread_mutex_t mem_lock;
    pthread_cond_t mem_cond;
    _Atomic int mem_waiters;

    /* Empty batches of batch.size capacity, reused instead of malloc. Their
     * memory stays charged to buffer.memory, as Java's BufferPool keeps its
     * free list inside the total: RSS stays bounded by buffer.memory. */
    pthread_mutex_t pool_lock;
    kp_pbatch *pool;
    int pool_count, pool_max;
    _Atomic int64_t pooled_bytes;
    /* Blocked senders wake once this much is free (pooled or unreserved),
     * not at every release: one wake-up per batch cost a context switch
     * per 64 KiB at 10 KiB values. */
    int64_t wake_room;

    /* kprod.partition.backlog.batches: full batches a draining partition
     * may queue before sends to it wait (0: no limit). They wait on
     * mem_cond until the backlog is down to backlog_resume, which
     * poll_first signals: waking at every batch taken cost two context
     * switches per 64 KiB and a third of the throughput at 10 KiB values. */
    int backlog_limit, backlog_resume;
    _Atomic int backlog_waiters;
    _Atomic uint64_t backlog_seq; /* backlogs drained to backlog_resume so far */
    _Atomic uint64_t backlog_waits;

    pthread_mutex_t meta_lock;
    pthread_cond_t meta_cond;

    _Atomic int flushes;
    _Atomic int closed;
    int (*interrupted)(void); /* checked by blocking waits; may be NULL */
    kp_sealer *sealer;        /* compression threads for full batches; may be NULL */
};

/* Blocking waits wake this often to check a->interrupted. */
#define INTERRUPT_CHECK_US 100000
/* A partition whose oldest batch waited this long is not draining (leader
 * down, backing off, a slow broker): its backlog no longer makes sends wait. */
#define BACKLOG_STALLED_US 100000

static void cond_init_monotonic(pthread_cond_t *c) {
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(c, &attr);
    pthread_condattr_destroy(&attr);
}

/* Waits on cond until deadline_us (monotonic); returns ETIMEDOUT past it. */
static int cond_wait_until(pthread_cond_t *c, pthread_mutex_t *m, int64_t deadline_us) {
    struct timespec ts = {deadline_us / 1000000, (deadline_us % 1000000) * 1000};
    return pthread_cond_timedwait(c, m, &ts);
}

/* One slice of a blocking wait: until deadline_us, or less when an
 * interrupt check is set, so that a signal ends the wait within 100 ms. */
static void wait_slice(kp_accumulator *a, pthread_cond_t *c, pthread_mutex_t *m, int64_t deadline_us) {
    if (a->interrupted) {
        int64_t check = kp_now_us() + INTERRUPT_CHECK_US;
        if (check < deadline_us) deadline_us = check;
    }
    cond_wait_until(c, m, deadline_us);
}

static int interrupted(const kp_accumulator *a) { return a->interrupted && a->interrupted(); }

void kp_accumulator_set_interrupt_check(kp_accumulator *a, int (*check)(void)) { a->interrupted = check; }

void kp_accumulator_set_sealer(kp_accumulator *a, kp_sealer *sealer) { a->sealer = sealer; }

kp_accumulator *kp_accumulator_new(const kp_conf *conf, void (*wakeup)(void *), void *wakeup_ud) {
    kp_accumulator *a = calloc(1, sizeof *a);
    if (!a) return NULL;
    a->conf = conf;
    a->wakeup = wakeup;
    a->wakeup_ud = wakeup_ud;
    a->buffer_limit = conf->buffer_memory;
    /* At most a quarter of buffer.memory idles in the pool. */
    int64_t pool_max = conf->buffer_memory / 4 / (conf->batch_size > 0 ? conf->batch_size : 1);
    a->pool_max = (int)(pool_max > POOL_MAX ? POOL_MAX : pool_max);
    a->wake_room = conf->buffer_memory / 16 > conf->batch_size ? conf->buffer_memory / 16 : conf->batch_size;
    /* One batch per partition per request, max.in.flight requests: that
     * many full batches queued refill every slot, the +1 is the one filling. */
    a->backlog_limit = conf->kprod_partition_backlog_batches >= 0
                           ? conf->kprod_partition_backlog_batches
                           : conf->max_in_flight_requests_per_connection + 1;
    a->backlog_resume = a->backlog_limit / 2;
    pthread_mutex_init(&a->topics_lock, NULL);
    pthread_mutex_init(&a->mem_lock, NULL);
    pthread_mutex_init(&a->pool_lock, NULL);
    pthread_mutex_init(&a->meta_lock, NULL);
    cond_init_monotonic(&a->mem_cond);
    cond_init_monotonic(&a->meta_cond);
    return a;
}

static void batch_destroy(kp_pbatch *b) {
    kp_batch_free(&b->b);
    free(b->refs);
    free(b);
}

void kp_accumulator_destroy(kp_accumulator *a) {
    if (!a) return;
    kp_topic *t = atomic_load(&a->topics);
    while (t) {
        kp_topic *next = t->next;
        int32_t n = atomic_load(&t->partition_count);
        kp_partq **parts = atomic_load(&t->parts);
        for (int32_t i = 0; i < n; i++) {
            kp_partq *pq = parts[i];
            for (kp_pbatch *b = pq->head, *nb; b; b = nb) {
                nb = b->next;
                batch_destroy(b);
            }
            pthread_mutex_destroy(&pq->lock);
            free(pq);
        }
        free(parts);
        for (void **r = t->retired, **nr; r; r = nr) {
            nr = r[0];
            free(r);
        }
        pthread_mutex_destroy(&t->sticky_lock);
        free(t->name);
        free(t);
        t = next;
    }
    while (a->pool) {
        kp_pbatch *b = a->pool;
        a->pool = b->next;
        batch_destroy(b);
    }
    pthread_mutex_destroy(&a->topics_lock);
    pthread_mutex_destroy(&a->mem_lock);
    pthread_mutex_destroy(&a->pool_lock);
    pthread_mutex_destroy(&a->meta_lock);
    pthread_cond_destroy(&a->mem_cond);
    pthread_cond_destroy(&a->meta_cond);
    free(a);
}

/* ---- topics ---- */

static uint32_t name_hash(const char *s, size_t n) {
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) h = (h ^ (uint8_t)s[i]) * 16777619u;
    return h;
}

static kp_topic *find_topic(kp_topic *t, const char *name, size_t len) {
    while (t && !(t->name_len == len && !memcmp(t->name, name, len))) t = t->hnext;
    return t;
}

kp_topic *kp_accumulator_topic(kp_accumulator *a, const char *name, size_t len) {
    uint32_t slot = name_hash(name, len) % TOPIC_BUCKETS;
    /* Every send looks its topic up. Topics live as long as the accumulator
     * and a chain only grows at its head, complete before it is published:
     * a topic already known is found without the lock. */
    kp_topic *t = find_topic(atomic_load_explicit(&a->buckets[slot], memory_order_acquire), name, len);
    if (t) return t;
    pthread_mutex_lock(&a->topics_lock);
    t = find_topic(atomic_load_explicit(&a->buckets[slot], memory_order_relaxed), name, len);
    if (!t && (t = calloc(1, sizeof *t)) != NULL) {
        t->name = malloc(len + 1);
        if (!t->name) {
            free(t);
            t = NULL;
            goto out;
        }
        memcpy(t->name, name, len);
        t->name[len] = 0;
        t->name_len = len;
        kp_sticky_init(&t->sticky);
        pthread_mutex_init(&t->sticky_lock, NULL);
        t->hnext = atomic_load_explicit(&a->buckets[slot], memory_order_relaxed);
        atomic_store_explicit(&a->buckets[slot], t, memory_order_release);
        t->next = atomic_load(&a->topics);
        atomic_store(&a->topics, t);
    }
out:
    pthread_mutex_unlock(&a->topics_lock);
    return t;
}

kp_topic *kp_accumulator_topics(kp_accumulator *a) { return atomic_load(&a->topics); }

int kp_accumulator_set_partitions(kp_accumulator *a, kp_topic *t, int32_t count) {
    (void)a;
    int32_t have = atomic_load(&t->partition_count);
    if (count <= have) return 0;
    kp_partq **old = atomic_load(&t->parts);
    kp_partq **parts = calloc((size_t)count, sizeof *parts);
    if (!parts) return -1;
    if (have) memcpy(parts, old, (size_t)have * sizeof *parts);
    for (int32_t i = have; i < count; i++) {
        kp_partq *pq = calloc(1, sizeof *pq);
        if (!pq) {
            for (int32_t j = have; j < i; j++) free(parts[j]);
            free(parts);
            return -1;
        }
        pthread_mutex_init(&pq->lock, NULL);
        pq->topic = t;
        pq->partition = i;
        pq->leader = -1;
        parts[i] = pq;
    }
    atomic_store_explicit(&t->parts, parts, memory_order_release);
    atomic_store_explicit(&t->partition_count, count, memory_order_release);
    if (old) {
        /* Readers may still hold `old`: keep it, linked through a small cell. */
        void **cell = malloc(2 * sizeof *cell);
        if (cell) {
            cell[0] = t->retired;
            cell[1] = old;
            t->retired = cell;
        }
    }
    return 0;
}

/* ---- memory ---- */

static void batch_destroy(kp_pbatch *b);

/* The pool's first batch, still charged to buffer.memory; or NULL. */
static kp_pbatch *pool_pop(kp_accumulator *a) {
    pthread_mutex_lock(&a->pool_lock);
    kp_pbatch *b = a->pool;
    if (b) {
        a->pool = b->next;
        a->pool_count--;
        atomic_fetch_sub(&a->pooled_bytes, (int64_t)b->reserved);
    }
    pthread_mutex_unlock(&a->pool_lock);
    return b;
}

/* Charges `bytes` when they fit, handing pooled batches' memory back first
 * when they are what stands in the way (Java's BufferPool.freeUp). */
static int try_charge(kp_accumulator *a, size_t bytes) {
    for (;;) {
        int64_t used = atomic_fetch_add(&a->buffer_used, (int64_t)bytes) + (int64_t)bytes;
        if (used <= a->buffer_limit || used == (int64_t)bytes) return 1;
        atomic_fetch_sub(&a->buffer_used, (int64_t)bytes);
        kp_pbatch *b = pool_pop(a);
        if (!b) return 0;
        atomic_fetch_sub(&a->buffer_used, (int64_t)b->reserved);
        batch_destroy(b);
    }
}

static kp_pbatch *batch_new(size_t capacity);
static kp_pbatch *pool_take(kp_accumulator *a);
static void unreserve_memory(kp_accumulator *a, size_t bytes);

/* One attempt at an empty batch of `capacity` bytes, `extra` more charged
 * for the referenced value of its first record: a pooled one when it is
 * batch.size (already charged), else a new one when buffer.memory has room.
 * 1 with *out set, 0 no room, -1 out of memory. */
static int try_acquire(kp_accumulator *a, size_t capacity, size_t extra, kp_pbatch **out) {
    if (extra && !try_charge(a, extra)) return 0;
    /* Pooled batches have batch.size: taken for requests that need most of it. */
    size_t full = (size_t)a->conf->batch_size + APPEND_SLACK;
    int got;
    if (capacity <= full && capacity > full / 2 && (*out = pool_take(a))) {
        got = 1;
    } else if (!try_charge(a, capacity)) {
        got = 0;
    } else if (!(*out = batch_new(capacity))) {
        atomic_fetch_sub(&a->buffer_used, (int64_t)capacity);
        got = -1;
    } else {
        (*out)->reserved = capacity;
        got = 1;
    }
    if (got > 0) (*out)->ext_reserved = extra;
    else if (extra) unreserve_memory(a, extra);
    return got;
}

/* An empty batch for a send (see try_acquire), waiting for buffer.memory
 * until deadline_us (0: not at all). Returns 0 with *out set,
 * KP_ERR__QUEUE_FULL, KP_ERR__DESTROY or KP_ERR__NO_MEMORY. */
static int acquire_batch(kp_accumulator *a, size_t capacity, size_t extra, int64_t deadline_us,
                         kp_pbatch **out) {
    int got = try_acquire(a, capacity, extra, out);
    if (got) return got > 0 ? 0 : KP_ERR__NO_MEMORY;
    if (deadline_us <= 0 || (int64_t)(capacity + extra) > a->buffer_limit) return KP_ERR__QUEUE_FULL;
    int rc = 0;
    pthread_mutex_lock(&a->mem_lock);
    atomic_fetch_add(&a->mem_waiters, 1);
    if (a->wakeup) a->wakeup(a->wakeup_ud); /* exhausted memory makes batches ready */
    for (;;) {
        if (atomic_load(&a->closed)) {
            rc = KP_ERR__DESTROY;
            break;
        }
        if ((got = try_acquire(a, capacity, extra, out))) {
            rc = got > 0 ? 0 : KP_ERR__NO_MEMORY;
            break;
        }
        if (interrupted(a)) {
            rc = KP_ERR__INTR;
            break;
        }
        if (kp_now_us() >= deadline_us) {
            rc = KP_ERR__QUEUE_FULL;
            break;
        }
        wait_slice(a, &a->mem_cond, &a->mem_lock, deadline_us);
    }
    atomic_fetch_sub(&a->mem_waiters, 1);
    pthread_mutex_unlock(&a->mem_lock);
    return rc;
}

/* Wakes every sender blocked on mem_cond (memory or backlog), to recheck.
 * Taking mem_lock orders the wake-up after a waiter's last check (it holds
 * the lock from its check to its wait); broadcasting after releasing it
 * spares the woken thread blocking on the lock still held here. */
static void wake_mem_waiters_all(kp_accumulator *a) {
    pthread_mutex_lock(&a->mem_lock);
    pthread_mutex_unlock(&a->mem_lock);
    pthread_cond_broadcast(&a->mem_cond);
}

/* Wakes blocked senders once wake_room is free, or when nothing at all is
 * in use (a request larger than wake_room then gets its chance). */
static void wake_memory_waiters(kp_accumulator *a) {
    if (atomic_load(&a->mem_waiters)) {
        int64_t used = atomic_load(&a->buffer_used), pooled = atomic_load(&a->pooled_bytes);
        if (a->buffer_limit - used + pooled < a->wake_room && used > pooled) return;
        wake_mem_waiters_all(a);
    }
}

static void unreserve_memory(kp_accumulator *a, size_t bytes) {
    atomic_fetch_sub(&a->buffer_used, (int64_t)bytes);
    wake_memory_waiters(a);
}

int kp_accumulator_memory_exhausted(kp_accumulator *a) { return atomic_load(&a->mem_waiters) > 0; }
uint64_t kp_accumulator_backlog_waits(kp_accumulator *a) { return atomic_load(&a->backlog_waits); }
int64_t kp_accumulator_buffer_used(kp_accumulator *a) { return atomic_load(&a->buffer_used); }

/* ---- batches ---- */

/* A pooled batch, emptied, its memory still charged (b->reserved); or NULL. */
static kp_pbatch *pool_take(kp_accumulator *a) {
    kp_pbatch *b = pool_pop(a);
    if (!b) return NULL;
    kp_batch_reset(&b->b);
    kp_record_ref *refs = b->refs;
    int cap = b->cap_refs;
    size_t reserved = b->reserved;
    kp_batch_builder keep = b->b;
    memset(b, 0, sizeof *b);
    b->b = keep;
    b->refs = refs;
    b->cap_refs = cap;
    b->reserved = reserved;
    return b;
}

/* A new batch of `capacity` bytes, not yet charged. */
static kp_pbatch *batch_new(size_t capacity) {
    kp_pbatch *b = calloc(1, sizeof *b);
    if (!b) return NULL;
    if (kp_batch_init(&b->b, capacity)) {
        free(b);
        return NULL;
    }
    return b;
}

static void batch_start(kp_pbatch *b, kp_partq *pq) {
    b->pq = pq;
    b->base_sequence = KP_NO_SEQUENCE;
    b->producer_id = KP_NO_PRODUCER_ID;
    b->producer_epoch = KP_NO_PRODUCER_EPOCH;
}

/* Charges what the batch's buffer holds beyond what it was charged for. */
static void charge_growth(kp_accumulator *a, kp_pbatch *b) {
    if (b->b.buf.cap > b->reserved) {
        atomic_fetch_add(&a->buffer_used, (int64_t)(b->b.buf.cap - b->reserved));
        b->reserved = b->b.buf.cap;
    }
}

kp_pbatch *kp_accumulator_new_batch(kp_accumulator *a, kp_partq *pq, size_t capacity) {
    kp_pbatch *b = capacity <= (size_t)a->conf->batch_size ? pool_take(a) : NULL;
    if (!b) {
        if (!(b = batch_new(capacity))) return NULL;
        b->reserved = b->b.buf.cap;
        atomic_fetch_add(&a->buffer_used, (int64_t)b->reserved); /* a split: never waits */
    }
    batch_start(b, pq);
    b->created_us = kp_now_us();
    return b;
}

void kp_accumulator_release(kp_accumulator *a, kp_pbatch *b) {
    size_t cap = b->b.buf.cap, size = (size_t)a->conf->batch_size;
    size_t charged = b->reserved + b->ext_reserved;
    b->ext_reserved = 0;
    b->nrefs = 0;
    kp_batch_reset(&b->b); /* drops its blobs now, not when the pool reuses it */
    if (cap >= size && cap <= 2 * size) {
        /* A compressed batch whose values were referenced grew its buffer
         * under their charge: the pool keeps what the buffer holds. */
        if (cap > b->reserved) b->reserved = cap;
        pthread_mutex_lock(&a->pool_lock);
        int pooled = a->pool_count < a->pool_max;
        if (pooled) {
            b->next = a->pool;
            a->pool = b;
            a->pool_count++;
            atomic_fetch_add(&a->pooled_bytes, (int64_t)b->reserved);
        }
        pthread_mutex_unlock(&a->pool_lock);
        if (pooled) {
            if (charged > b->reserved) unreserve_memory(a, charged - b->reserved);
            else atomic_fetch_add(&a->buffer_used, (int64_t)(b->reserved - charged));
            wake_memory_waiters(a); /* the pooled memory is theirs to take */
            return;
        }
    }
    batch_destroy(b);
    unreserve_memory(a, charged);
}

static int add_ref(kp_pbatch *b, int64_t timestamp, kp_delivery_cb *cb, void *opaque, int64_t now_us) {
    if (b->nrefs == b->cap_refs) {
        int cap = b->cap_refs ? b->cap_refs * 2 : 16;
        kp_record_ref *r = realloc(b->refs, (size_t)cap * sizeof *r);
        if (!r) return -1;
        b->refs = r;
        b->cap_refs = cap;
    }
    b->refs[b->nrefs++] = (kp_record_ref){b->b.count, timestamp, cb, opaque, now_us};
    return 0;
}

/* Capacity for a new batch of pq holding a record of `need` bytes: what the
 * partition's last batch needed (a partition that lingers out with a few
 * records gets a small batch, so buffer.memory counts bytes held, not
 * batch.size per partition), at most batch.size, at least the record. */
static size_t batch_capacity(kp_accumulator *a, kp_partq *pq, size_t need, int referenced) {
    size_t full = (size_t)a->conf->batch_size + APPEND_SLACK;
    size_t cap = (size_t)atomic_load_explicit(&pq->capacity_hint, memory_order_relaxed);
    /* A referenced value leaves only its record's frame in the buffer. */
    if (cap == 0) cap = referenced ? MIN_CAPACITY : FIRST_CAPACITY;
    if (cap > full) cap = full;
    return need + APPEND_SLACK > cap ? need + APPEND_SLACK : cap;
}

/* Learns from a batch leaving the queue what the next one will need. */
static void learn_capacity(kp_accumulator *a, kp_pbatch *b) {
    int64_t hint = a->conf->batch_size + APPEND_SLACK;
    /* A batch that referenced its values filled batch.size on the wire,
     * not in its buffer: the next one needs what its buffer held. */
    if (!b->full || b->ext_reserved) {
        int64_t want = b->raw_size + b->raw_size / 4, cap = MIN_CAPACITY;
        while (cap < want && cap < hint) cap *= 2;
        if (cap < hint) hint = cap;
    }
    atomic_store_explicit(&b->pq->capacity_hint, (int32_t)(hint > INT32_MAX ? INT32_MAX : hint),
                          memory_order_relaxed);
}

/* Makes room in b's buffer for `rs` more bytes under batch.size, charging
 * the growth to buffer.memory. 1 done, 0 no memory left (the caller closes b). */
static int grow_batch(kp_accumulator *a, kp_pbatch *b, size_t rs) {
    size_t need = kp_batch_inline_size(&b->b) + rs + APPEND_SLACK;
    if (need <= b->b.buf.cap) return 1;
    size_t cap = b->b.buf.cap * 2, full = (size_t)a->conf->batch_size + APPEND_SLACK;
    if (cap > full) cap = full;
    if (cap < need) cap = need;
    if (cap > b->reserved && !try_charge(a, cap - b->reserved)) return 0;
    if (kp_buf_grow_to(&b->b.buf, cap)) {
        if (cap > b->reserved) unreserve_memory(a, cap - b->reserved);
        return 0;
    }
    if (cap > b->reserved) b->reserved = cap;
    return 1;
}

/* Closes a batch for good; a full one goes to the compression threads. */
static void close_batch(kp_accumulator *a, kp_pbatch *b, int full) {
    b->closed = 1;
    b->full = full;
    if (full) {
        b->in_backlog = 1;
        b->pq->backlog++;
    }
    if (a->sealer) kp_sealer_submit(a->sealer, b); /* under pq's lock: b stays queued */
}

/* Bytes of r that stay in its blob, not in the batch's buffer. */
static size_t referenced_bytes(const kp_send_record *r) {
    return r->value_blob ? (size_t)r->value_len : 0;
}

/* Charges `len` more referenced bytes for b: what was charged ahead
 * (ext_reserved past ext_len) first. 1 done, 0 no memory left. */
static int charge_ext(kp_accumulator *a, kp_pbatch *b, size_t len) {
    size_t need = b->b.ext_len + len;
    if (need <= b->ext_reserved) return 1;
    if (!try_charge(a, need - b->ext_reserved)) return 0;
    b->ext_reserved = need;
    return 1;
}

/* Hundreds of partitions fill as many batches in turn, too many streams for
 * the hardware prefetcher: fetch where this batch's next record (of about
 * this one's size, at most 4 lines) will go, while others are appended to. */
static inline void prefetch_next_record(const kp_buf *buf, size_t len) {
    size_t room = buf->cap - buf->len;
    if (len > room) len = room;
    if (len > 256) len = 256;
    for (size_t off = 0; off < len; off += 64) __builtin_prefetch(buf->data + buf->len + off, 1, 3);
}

/* Appends into b if the record fits under batch.size (an empty batch takes
 * any record). Returns 1 appended, 0 does not fit, -1 out of memory. */
static int try_append(kp_accumulator *a, kp_pbatch *b, const kp_send_record *r, int64_t now_us) {
    if (b->closed) return 0;
    size_t rs = kp_record_size(b->b.count ? r->timestamp - b->b.base_timestamp : 0, b->b.count,
                               r->key ? r->key_len : -1, r->value ? r->value_len : -1, r->headers,
                               r->header_count);
    size_t ext = referenced_bytes(r);
    if (b->b.count && kp_batch_size(&b->b) + rs > (size_t)a->conf->batch_size) {
        close_batch(a, b, 1);
        return 0;
    }
    if ((b->b.count && !grow_batch(a, b, rs - ext)) || (ext && !charge_ext(a, b, ext))) {
        close_batch(a, b, 0); /* buffer.memory is full: the new batch waits for it */
        return 0;
    }
    if (r->cb && add_ref(b, r->timestamp, r->cb, r->opaque, now_us)) return -1;
    int failed = r->value_blob
                     ? kp_batch_append_ref(&b->b, r->timestamp, r->key, r->key_len, r->value_blob,
                                           (size_t)((const uint8_t *)r->value - r->value_blob->data),
                                           r->value_len, r->value_crc, r->headers, r->header_count)
                     : kp_batch_append(&b->b, r->timestamp, r->key, r->key_len, r->value,
                                       r->value_len, r->headers, r->header_count);
    if (failed) {
        if (r->cb) b->nrefs--;
        return -1;
    }
    if ((int32_t)rs > b->max_record_size) b->max_record_size = (int32_t)rs;
    b->raw_size = (int32_t)kp_batch_inline_size(&b->b);
    charge_growth(a, b);
    prefetch_next_record(&b->b.buf, rs - ext);
    return 1;
}

/* 1 while pq is draining (its oldest batch is young) and holds more than
 * `over` full batches. Under pq's lock. */
static int backlog_over(const kp_accumulator *a, const kp_partq *pq, int over, int64_t now_us) {
    return a->backlog_limit > 0 && pq->backlog > over && pq->head &&
           now_us - pq->head->created_us < BACKLOG_STALLED_US;
}

/* 1 when a send to pq must wait: its backlog is full. */
static int backlog_full(const kp_accumulator *a, const kp_partq *pq, int64_t now_us) {
    return backlog_over(a, pq, a->backlog_limit - 1, now_us);
}

/* Waits, until deadline_us at most, for pq's full backlog to drain to
 * backlog_resume: the sender takes a batch from it every round trip. Soft:
 * it returns in every case and the append goes on, so it never fails a send
 * that memory admits. */
static void wait_for_backlog(kp_accumulator *a, kp_partq *pq, int64_t deadline_us) {
    atomic_fetch_add(&a->backlog_waits, 1);
    atomic_fetch_add(&a->backlog_waiters, 1);
    for (;;) {
        /* pq's lock is never taken under mem_lock (appends take mem_lock
         * under pq's): backlog_seq tells a drain that came in between. */
        uint64_t seq = atomic_load(&a->backlog_seq);
        int64_t now = kp_now_us();
        pthread_mutex_lock(&pq->lock);
        int full = backlog_over(a, pq, a->backlog_resume, now);
        int64_t stalls_at = full ? pq->head->created_us + BACKLOG_STALLED_US : 0;
        pthread_mutex_unlock(&pq->lock);
        if (!full || now >= deadline_us || atomic_load(&a->closed) || interrupted(a)) break;
        pthread_mutex_lock(&a->mem_lock);
        if (atomic_load(&a->backlog_seq) == seq)
            wait_slice(a, &a->mem_cond, &a->mem_lock, stalls_at < deadline_us ? stalls_at : deadline_us);
        pthread_mutex_unlock(&a->mem_lock);
    }
    atomic_fetch_sub(&a->backlog_waiters, 1);
}

/* Java's ProducerBatch.isFull: takes no more records (pq's lock held). */
static int batch_full(const kp_accumulator *a, const kp_pbatch *b) {
    return b->closed || kp_batch_size(&b->b) >= (size_t)a->conf->batch_size;
}

/* Mirrors pq's head into ready_head and the fields after it (pq's lock
 * held). Stores only on a change, so that appends which change nothing do
 * not take the sender's line. */
static void publish_ready(const kp_accumulator *a, kp_partq *pq) {
    kp_pbatch *head = pq->head;
    int full = head && (pq->count > 1 || batch_full(a, head));
    if (atomic_load_explicit(&pq->ready_full, memory_order_relaxed) != full)
        atomic_store_explicit(&pq->ready_full, full, memory_order_relaxed);
    if (atomic_load_explicit(&pq->ready_head, memory_order_relaxed) == head) return;
    atomic_store_explicit(&pq->ready_created_us, head ? head->created_us : 0, memory_order_relaxed);
    atomic_store_explicit(&pq->ready_retry, head && head->attempts > 0, memory_order_relaxed);
    /* Release: a reader of the new head sees the fields above for it. */
    atomic_store_explicit(&pq->ready_head, head, memory_order_release);
}

int kp_accumulator_append(kp_accumulator *a, kp_partq *pq, const kp_send_record *r, int64_t now_us,
                          int64_t max_block_us) {
    if (atomic_load_explicit(&a->closed, memory_order_relaxed)) return KP_ERR__DESTROY;
    int64_t deadline_us = max_block_us > 0 ? now_us + max_block_us : 0;
    pthread_mutex_lock(&pq->lock);
    if (pq->tail) {
        int rc = try_append(a, pq->tail, r, now_us);
        if (rc != 0) {
            int full = batch_full(a, pq->tail);
            if (full) publish_ready(a, pq);
            pthread_mutex_unlock(&pq->lock);
            if (rc < 0) return KP_ERR__NO_MEMORY;
            if (full && a->wakeup) a->wakeup(a->wakeup_ud);
            return 0;
        }
    }
    int wait_backlog = deadline_us && backlog_full(a, pq, now_us);
    publish_ready(a, pq); /* the tail just closed */
    pthread_mutex_unlock(&pq->lock);
    if (wait_backlog) {
        if (a->wakeup) a->wakeup(a->wakeup_ud); /* the batch just closed is ready */
        wait_for_backlog(a, pq, deadline_us);
    }

    /* A new batch: reserve its memory without holding the partition lock. */
    size_t ext = referenced_bytes(r);
    size_t need = KP_BATCH_HEADER_SIZE - ext +
                  kp_record_size_upper_bound(r->key ? r->key_len : -1, r->value ? r->value_len : -1,
                                             r->headers, r->header_count);
    size_t capacity = batch_capacity(a, pq, need, ext > 0);
    kp_pbatch *b;
    int rc = acquire_batch(a, capacity, ext, deadline_us, &b);
    if (rc) return rc;
    charge_growth(a, b);
    batch_start(b, pq);

    pthread_mutex_lock(&pq->lock);
    /* Another thread may have opened a batch meanwhile: use it if it fits. */
    if (pq->tail && (rc = try_append(a, pq->tail, r, now_us)) != 0) {
        publish_ready(a, pq);
        pthread_mutex_unlock(&pq->lock);
        kp_accumulator_release(a, b);
        return rc < 0 ? KP_ERR__NO_MEMORY : 0;
    }
    b->created_us = kp_now_us();
    rc = try_append(a, b, r, now_us);
    if (rc != 1) {
        publish_ready(a, pq); /* the tail may have closed */
        pthread_mutex_unlock(&pq->lock);
        kp_accumulator_release(a, b);
        return KP_ERR__NO_MEMORY;
    }
    b->next = NULL;
    if (pq->tail) pq->tail->next = b;
    else pq->head = b;
    pq->tail = b;
    pq->count++;
    publish_ready(a, pq);
    pthread_mutex_unlock(&pq->lock);
    if (a->wakeup) a->wakeup(a->wakeup_ud);
    return 0;
}

kp_pbatch *kp_accumulator_poll_first(kp_accumulator *a, kp_partq *pq) {
    pthread_mutex_lock(&pq->lock);
    kp_pbatch *b = pq->head;
    if (b && a->sealer) kp_sealer_claim(a->sealer, b, 1);
    if (b && !b->in_retry) learn_capacity(a, b);
    if (b) {
        pq->head = b->next;
        if (!pq->head) pq->tail = NULL;
        pq->count--;
        b->next = NULL;
        b->closed = 1;
    }
    int resumes = 0; /* the backlog just drained to where waiting sends resume */
    if (b && b->in_backlog) {
        b->in_backlog = 0;
        resumes = pq->backlog-- == a->backlog_resume + 1;
    }
    publish_ready(a, pq);
    pthread_mutex_unlock(&pq->lock);
    if (resumes) {
        atomic_fetch_add(&a->backlog_seq, 1);
        if (atomic_load(&a->backlog_waiters)) wake_mem_waiters_all(a);
    }
    return b;
}

void kp_accumulator_reenqueue(kp_accumulator *a, kp_pbatch *b, int64_t now_us) {
    kp_partq *pq = b->pq;
    b->attempts++;
    b->last_attempt_us = now_us;
    b->in_retry = 1;
    b->in_flight = 0;
    pthread_mutex_lock(&pq->lock);
    /* Retried batches go first, ordered by sequence among themselves, so an
     * idempotent partition resends them in their original order. */
    kp_pbatch **at = &pq->head;
    if (b->base_sequence != KP_NO_SEQUENCE) {
        while (*at && (*at)->base_sequence != KP_NO_SEQUENCE &&
               (*at)->base_sequence < b->base_sequence) {
            at = &(*at)->next;
        }
    }
    b->next = *at;
    *at = b;
    if (!b->next) pq->tail = b;
    pq->count++;
    publish_ready(a, pq);
    pthread_mutex_unlock(&pq->lock);
}

/* ---- flush, close, metadata waits ---- */

void kp_accumulator_begin_flush(kp_accumulator *a) {
    atomic_fetch_add(&a->flushes, 1);
    if (a->wakeup) a->wakeup(a->wakeup_ud);
}

void kp_accumulator_end_flush(kp_accumulator *a) { atomic_fetch_sub(&a->flushes, 1); }
int kp_accumulator_flushing(kp_accumulator *a) { return atomic_load(&a->flushes) > 0; }

void kp_accumulator_close(kp_accumulator *a) {
    atomic_store(&a->closed, 1);
    wake_mem_waiters_all(a);
    kp_accumulator_notify_metadata(a);
    if (a->wakeup) a->wakeup(a->wakeup_ud);
}

int kp_accumulator_closed(kp_accumulator *a) { return atomic_load(&a->closed); }

int kp_accumulator_wait_metadata(kp_accumulator *a, kp_topic *t, int64_t deadline_us) {
    int rc = 0;
    pthread_mutex_lock(&a->meta_lock);
    while (atomic_load(&t->partition_count) == 0 && atomic_load(&t->err) == 0 &&
           !atomic_load(&a->closed) && kp_now_us() < deadline_us) {
        if (interrupted(a)) {
            rc = KP_ERR__INTR;
            break;
        }
        wait_slice(a, &a->meta_cond, &a->meta_lock, deadline_us);
    }
    pthread_mutex_unlock(&a->meta_lock);
    return rc;
}

void kp_accumulator_notify_metadata(kp_accumulator *a) {
    pthread_mutex_lock(&a->meta_lock);
    pthread_cond_broadcast(&a->meta_cond);
    pthread_mutex_unlock(&a->meta_lock);
}
