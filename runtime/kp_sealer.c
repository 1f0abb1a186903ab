/* kp_sealer.c — worker threads that compress and seal full batches ahead of the sender. */
#include "kp_sealer.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kp_log.h"

/* A batch's place with respect to the workers (kp_pbatch.seal_state, under the lock). */
enum { SEAL_NONE = 0, SEAL_QUEUED, SEAL_BUSY };

typedef struct seal_worker {
    kp_sealer *s;
    pthread_t thread;
    kp_compressor *cz;
    kp_buf scratch;
} seal_worker;

struct kp_sealer {
    pthread_mutex_t lock;
    pthread_cond_t work;      /* a batch was queued, or stop */
    pthread_cond_t finished;  /* a worker finished a batch */
    kp_pbatch *head, *tail;   /* queued, oldest first */
    int stop;
    kp_codec codec;
    int level;
    void (*sealed)(void *ud, int ok);
    void *ud;
    seal_worker *workers;
    int nworkers;
};

int kp_sealer_threads_for(int configured) {
    if (configured >= 0) return configured;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    long n = cpus - 1;
    return (int)(n < 1 ? 1 : n > 8 ? 8 : n);
}

static void unlink_queued(kp_sealer *s, kp_pbatch *b) {
    if (b->seal_prev) b->seal_prev->seal_next = b->seal_next;
    else s->head = b->seal_next;
    if (b->seal_next) b->seal_next->seal_prev = b->seal_prev;
    else s->tail = b->seal_prev;
    b->seal_next = b->seal_prev = NULL;
    b->seal_state = SEAL_NONE;
}

static void *worker_main(void *arg) {
    seal_worker *w = arg;
    pthread_setname_np(pthread_self(), "kprod-seal");
    kp_sealer *s = w->s;
    char err[256];
    pthread_mutex_lock(&s->lock);
    for (;;) {
        while (!s->head && !s->stop) pthread_cond_wait(&s->work, &s->lock);
        if (s->stop) break;
        kp_pbatch *b = s->head;
        unlink_queued(s, b);
        b->seal_state = SEAL_BUSY;
        pthread_mutex_unlock(&s->lock);
        /* Sealed without producer fields: the sender stamps id, epoch and
         * sequence at drain. A failure leaves the batch unsealed; the
         * sender then seals it itself and reports what went wrong. */
        int ok = !kp_batch_seal(&b->b, s->codec, s->level, w->cz, NULL, &w->scratch, err, sizeof err);
        if (!ok) KP_LOG_DEBUG("compression thread: %s (the sender retries)", err);
        pthread_mutex_lock(&s->lock);
        b->seal_state = SEAL_NONE;
        pthread_cond_broadcast(&s->finished);
        pthread_mutex_unlock(&s->lock);
        if (s->sealed) s->sealed(s->ud, ok);
        pthread_mutex_lock(&s->lock);
    }
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

kp_sealer *kp_sealer_new(int threads, kp_codec codec, int level, void (*sealed)(void *ud, int ok),
                         void *ud, char *errstr, size_t errlen) {
    kp_sealer *s = calloc(1, sizeof *s);
    if (!s || !(s->workers = calloc((size_t)threads, sizeof *s->workers))) {
        free(s);
        snprintf(errstr, errlen, "out of memory creating %d compression threads", threads);
        return NULL;
    }
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->work, NULL);
    pthread_cond_init(&s->finished, NULL);
    s->codec = codec;
    s->level = level;
    s->sealed = sealed;
    s->ud = ud;
    for (int i = 0; i < threads; i++) {
        seal_worker *w = &s->workers[i];
        w->s = s;
        kp_buf_init(&w->scratch, 0);
        int rc = (w->cz = kp_compressor_new()) ? pthread_create(&w->thread, NULL, worker_main, w)
                                               : ENOMEM;
        if (rc) {
            kp_compressor_free(w->cz);
            snprintf(errstr, errlen, "cannot start compression thread %d of %d: %s", i + 1, threads,
                     strerror(rc));
            kp_sealer_free(s);
            return NULL;
        }
        s->nworkers++;
    }
    return s;
}

void kp_sealer_free(kp_sealer *s) {
    if (!s) return;
    pthread_mutex_lock(&s->lock);
    s->stop = 1;
    while (s->head) unlink_queued(s, s->head);
    pthread_cond_broadcast(&s->work);
    pthread_mutex_unlock(&s->lock);
    for (int i = 0; i < s->nworkers; i++) {
        pthread_join(s->workers[i].thread, NULL);
        kp_compressor_free(s->workers[i].cz);
        kp_buf_free(&s->workers[i].scratch);
    }
    free(s->workers);
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->work);
    pthread_cond_destroy(&s->finished);
    free(s);
}

void kp_sealer_submit(kp_sealer *s, kp_pbatch *b) {
    pthread_mutex_lock(&s->lock);
    if (b->seal_state == SEAL_NONE && !b->b.sealed && !s->stop) {
        b->seal_state = SEAL_QUEUED;
        b->seal_next = NULL;
        b->seal_prev = s->tail;
        if (s->tail) s->tail->seal_next = b;
        else s->head = b;
        s->tail = b;
        pthread_cond_signal(&s->work);
    }
    pthread_mutex_unlock(&s->lock);
}

int kp_sealer_claim(kp_sealer *s, kp_pbatch *b, int wait) {
    int mine = 1;
    pthread_mutex_lock(&s->lock);
    if (b->seal_state == SEAL_QUEUED) unlink_queued(s, b);
    while (b->seal_state == SEAL_BUSY) {
        if (!wait) {
            mine = 0;
            break;
        }
        pthread_cond_wait(&s->finished, &s->lock);
    }
    pthread_mutex_unlock(&s->lock);
    return mine;
}
