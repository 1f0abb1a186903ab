/* kp_sealer.h — compression threads beside the sender: full batches are
 * compressed and sealed as soon as they close, so a codec uses more than the
 * sender thread's one core (kprod.compression.threads). */
#ifndef KP_SEALER_H
#define KP_SEALER_H

#include "kp_accumulator.h"

typedef struct kp_sealer kp_sealer;

/* Starts `threads` workers sealing with codec/level. `sealed(ud, ok)` is
 * called on a worker thread after each batch it took (ok: it is sealed). NULL with
 * errstr set when a thread or memory is missing. */
kp_sealer *kp_sealer_new(int threads, kp_codec codec, int level, void (*sealed)(void *ud, int ok),
                         void *ud, char *errstr, size_t errlen);
/* Stops the workers (a batch being sealed is finished first) and frees the
 * sealer; batches still queued are left as they are, unsealed. */
void kp_sealer_free(kp_sealer *s);

/* Queues a closed batch for a worker. The caller holds b's partition lock,
 * so b cannot be drained and freed before it is queued. */
void kp_sealer_submit(kp_sealer *s, kp_pbatch *b);

/* Takes b back from the workers before the sender uses or frees it: dequeues
 * it when no worker has started on it; when one has, waits for it if `wait`,
 * else returns 0 (the sender skips the partition for now and is woken by
 * `sealed`). Returns 1 once b is the sender's alone (sealed or not). */
int kp_sealer_claim(kp_sealer *s, kp_pbatch *b, int wait);

/* The thread count kprod.compression.threads asks for: -1 is one per online
 * CPU but one, between 1 and 8. */
int kp_sealer_threads_for(int configured);

#endif
