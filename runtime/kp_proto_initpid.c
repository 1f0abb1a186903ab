/* kp_proto_initpid.c — InitProducerId v0-4 request encoder and response decoder. */
#include "kp_proto_initpid.h"

#include <string.h>

#include "kp_proto_codec.h"

int kp_init_producer_id_request_encode(kp_frame *f, int16_t version, int32_t correlation_id,
                                       const char *client_id,
                                       const kp_init_producer_id_request *req, kp_proto_err *err) {
    kp_enc e;
    int rc = kp_enc_begin(&e, f, KP_API_INIT_PRODUCER_ID, version, correlation_id, client_id, err);
    if (rc) return rc;
    if (!req) {
        kp_enc_fail(&e, "transactional_id", "no request");
        return kp_enc_end(&e);
    }
    if (version < 3 && (req->producer_id != -1 || req->producer_epoch != -1))
        kp_enc_fail(&e, "producer_id", "resuming a producer id needs InitProducerId v3+");
    kp_enc_str(&e, "transactional_id", req->transactional_id, 1);
    if (!e.failed) {
        kp_buf_i32(e.b, req->transaction_timeout_ms);
        if (version >= 3) {
            kp_buf_i64(e.b, req->producer_id);
            kp_buf_i16(e.b, req->producer_epoch);
        }
    }
    kp_enc_tags(&e);
    return kp_enc_end(&e);
}

int kp_init_producer_id_response_decode(const uint8_t *body, size_t len, int16_t version,
                                        kp_init_producer_id_response *out, kp_proto_err *err) {
    memset(out, 0, sizeof *out);
    int rc = kp_proto_check_version(KP_API_INIT_PRODUCER_ID, version, err);
    if (rc) return rc;
    kp_proto_arena unused = {0}; /* nothing here is allocated */
    kp_dec d;
    kp_dec_init(&d, body, len, kp_proto_request_flexible(KP_API_INIT_PRODUCER_ID, version),
                &unused);
    out->throttle_time_ms = kp_dec_i32(&d, "throttle_time_ms");
    out->error_code = kp_dec_i16(&d, "error_code");
    out->producer_id = kp_dec_i64(&d, "producer_id");
    out->producer_epoch = kp_dec_i16(&d, "producer_epoch");
    kp_dec_tags(&d);
    rc = kp_dec_finish(&d, "InitProducerId", version, err);
    if (rc) memset(out, 0, sizeof *out);
    return rc;
}
