/* kp_proto_initpid.h — InitProducerId (key 22) v0-4: a producer id and epoch
 * for idempotent and transactional producers. */
#ifndef KP_PROTO_INITPID_H
#define KP_PROTO_INITPID_H

#include "kp_proto.h"

typedef struct kp_init_producer_id_request {
    const char *transactional_id; /* NULL for an idempotent-only producer */
    int32_t transaction_timeout_ms;
    /* v3+: the id/epoch we hold, to bump the epoch after an error instead of
     * getting a new id (KIP-360). -1/-1 when we hold none, which is the only
     * thing v0-2 can say. */
    int64_t producer_id;
    int16_t producer_epoch;
} kp_init_producer_id_request;

/* Encodes a whole InitProducerId request into f (reset first). Returns 0 or a
 * KP_PROTO_* code with err (may be NULL) filled and f left empty. */
int kp_init_producer_id_request_encode(kp_frame *f, int16_t version, int32_t correlation_id,
                                       const char *client_id,
                                       const kp_init_producer_id_request *req, kp_proto_err *err);

typedef struct kp_init_producer_id_response {
    int32_t throttle_time_ms;
    int16_t error_code;
    int64_t producer_id;
    int16_t producer_epoch;
} kp_init_producer_id_response;

/* Decodes an InitProducerId response body (after the response header). Owns
 * nothing. Returns 0, or a KP_PROTO_* code with err (may be NULL) filled. */
int kp_init_producer_id_response_decode(const uint8_t *body, size_t len, int16_t version,
                                        kp_init_producer_id_response *out, kp_proto_err *err);

#endif
