/* test_proto_initpid.c — InitProducerId v0-4 requests and responses against
 * hand-assembled bytes, and hostile input. */
#include "kp_proto_initpid.h"
#include "test_proto.h"

static int decode(const uint8_t *body, size_t len, int16_t version) {
    kp_init_producer_id_response r;
    return kp_init_producer_id_response_decode(body, len, version, &r, NULL);
}

static void test_request_v0(void) {
    kp_frame f;
    kp_frame_init(&f);
    kp_init_producer_id_request req = {NULL, 60000, -1, -1};
    KP_CHECK_INT(kp_init_producer_id_request_encode(&f, 0, 1, "kp", &req, NULL), 0);
    static const uint8_t v0[] = {
        0x00, 0x00, 0x00, 0x12,       /* Size: 18 */
        0x00, 0x16, 0x00, 0x00,       /* InitProducerId v0 */
        0x00, 0x00, 0x00, 0x01,       /* correlation_id */
        0x00, 0x02, 'k',  'p',        /* client_id */
        0xff, 0xff,                   /* transactional_id: null */
        0x00, 0x00, 0xea, 0x60,       /* transaction_timeout_ms: 60000 */
    };
    TP_CHECK_FRAME(&f, v0);
    KP_CHECK_INT(kp_init_producer_id_request_encode(&f, 1, 1, "kp", &req, NULL), 0);
    TP_CHECK_FRAME_AS_VERSION(&f, v0, 1);
    kp_frame_free(&f);
}

static void test_request_flexible(void) {
    kp_frame f;
    kp_frame_init(&f);
    kp_init_producer_id_request req = {"tx", 60000, -1, -1};
    KP_CHECK_INT(kp_init_producer_id_request_encode(&f, 2, 1, "kp", &req, NULL), 0);
    static const uint8_t v2[] = {
        0x00, 0x00, 0x00, 0x15,       /* Size: 21 */
        0x00, 0x16, 0x00, 0x02,       /* InitProducerId v2 */
        0x00, 0x00, 0x00, 0x01,       /* correlation_id */
        0x00, 0x02, 'k',  'p',  0x00, /* client_id, header tagged fields */
        0x03, 't',  'x',              /* transactional_id: COMPACT_NULLABLE_STRING */
        0x00, 0x00, 0xea, 0x60,       /* transaction_timeout_ms */
        0x00,                         /* tagged fields */
    };
    TP_CHECK_FRAME(&f, v2);

    kp_init_producer_id_request resume = {NULL, 60000, 1000, 5};
    static const uint8_t v3[] = {
        0x00, 0x00, 0x00, 0x1d,                         /* Size: 29 */
        0x00, 0x16, 0x00, 0x03,                         /* InitProducerId v3 */
        0x00, 0x00, 0x00, 0x01, 0x00, 0x02, 'k', 'p', 0x00,
        0x00,                                           /* transactional_id: null */
        0x00, 0x00, 0xea, 0x60,                         /* transaction_timeout_ms */
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0xe8, /* producer_id: 1000 */
        0x00, 0x05,                                     /* producer_epoch */
        0x00,                                           /* tagged fields */
    };
    KP_CHECK_INT(kp_init_producer_id_request_encode(&f, 3, 1, "kp", &resume, NULL), 0);
    TP_CHECK_FRAME(&f, v3);
    KP_CHECK_INT(kp_init_producer_id_request_encode(&f, 4, 1, "kp", &resume, NULL), 0);
    TP_CHECK_FRAME_AS_VERSION(&f, v3, 4);
    kp_frame_free(&f);
}

static void test_request_errors(void) {
    kp_frame f;
    kp_frame_init(&f);
    kp_proto_err err;
    kp_init_producer_id_request resume = {NULL, 60000, 1000, 5};
    /* v0-2 cannot carry the id we hold: refusing beats a fresh id in silence */
    KP_CHECK_INT(kp_init_producer_id_request_encode(&f, 2, 1, "kp", &resume, &err),
                 KP_PROTO_EMALFORMED);
    KP_CHECK_STR(err.field, "producer_id");
    KP_CHECK_INT(f.head.len, 0);
    KP_CHECK_INT(kp_init_producer_id_request_encode(&f, 5, 1, "kp", &resume, &err),
                 KP_PROTO_EVERSION);
    KP_CHECK_INT(kp_init_producer_id_request_encode(&f, 3, 1, "kp", NULL, &err),
                 KP_PROTO_EMALFORMED);
    char *long_txn = malloc(40000);
    memset(long_txn, 'x', 39999);
    long_txn[39999] = 0;
    kp_init_producer_id_request req = {long_txn, 1, -1, -1};
    KP_CHECK_INT(kp_init_producer_id_request_encode(&f, 4, 1, "kp", &req, &err),
                 KP_PROTO_EMALFORMED);
    KP_CHECK_STR(err.field, "transactional_id");
    free(long_txn);
    kp_frame_free(&f);
}

static const uint8_t resp_v0[] = {
    0x00, 0x00, 0x00, 0x00,                         /* throttle_time_ms */
    0x00, 0x00,                                     /* error_code */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0xe8, /* producer_id: 1000 */
    0x00, 0x00,                                     /* producer_epoch */
};

static const uint8_t resp_v2[] = {
    0x00, 0x00, 0x00, 0x0a,                         /* throttle_time_ms: 10 */
    0x00, 0x5a,                                     /* PRODUCER_FENCED (90) */
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, /* producer_id: -1 */
    0xff, 0xff,                                     /* producer_epoch: -1 */
    0x01, 0x03, 0x01, 0x00,                         /* an unknown tagged field, skipped */
};

static void test_responses(void) {
    kp_init_producer_id_response r;
    for (int16_t v = 0; v <= 1; v++) {
        KP_CHECK_INT(kp_init_producer_id_response_decode(resp_v0, sizeof resp_v0, v, &r, NULL), 0);
        KP_CHECK_INT(r.throttle_time_ms, 0);
        KP_CHECK_INT(r.error_code, 0);
        KP_CHECK_INT(r.producer_id, 1000);
        KP_CHECK_INT(r.producer_epoch, 0);
    }
    for (int16_t v = 2; v <= 4; v++) {
        KP_CHECK_INT(kp_init_producer_id_response_decode(resp_v2, sizeof resp_v2, v, &r, NULL), 0);
        KP_CHECK_INT(r.throttle_time_ms, 10);
        KP_CHECK_INT(r.error_code, 90);
        KP_CHECK_INT(r.producer_id, -1);
        KP_CHECK_INT(r.producer_epoch, -1);
    }
    KP_CHECK(kp_init_producer_id_response_decode(resp_v0, sizeof resp_v0, 2, &r, NULL) < 0);
    KP_CHECK(kp_init_producer_id_response_decode(resp_v2, sizeof resp_v2, 1, &r, NULL) < 0);
    KP_CHECK_INT(r.producer_id, 0); /* nothing half-decoded is left behind */
    KP_CHECK_INT(kp_init_producer_id_response_decode(resp_v0, sizeof resp_v0, 5, &r, NULL),
                 KP_PROTO_EVERSION);
}

static void test_hostile(void) {
    tp_hostile_sweep(decode, resp_v0, sizeof resp_v0, 0);
    tp_hostile_sweep(decode, resp_v2, sizeof resp_v2, 2);
    tp_hostile_sweep(decode, resp_v2, sizeof resp_v2, 4);
    uint8_t bad_tags[sizeof resp_v2];
    memcpy(bad_tags, resp_v2, sizeof bad_tags);
    bad_tags[16] = 0x7f; /* 127 tagged fields in 3 bytes */
    TP_CHECK_REJECTS(decode, bad_tags, 2);

    kp_init_producer_id_response r;
    kp_proto_err err;
    char msg[128];
    KP_CHECK(kp_init_producer_id_response_decode(resp_v0, 9, 0, &r, &err) < 0);
    KP_CHECK_STR(kp_proto_err_format(&err, msg, sizeof msg),
                 "InitProducerId v0: truncated at offset 6 (producer_id)");
}

int main(void) {
    KP_RUN(test_request_v0);
    KP_RUN(test_request_flexible);
    KP_RUN(test_request_errors);
    KP_RUN(test_responses);
    KP_RUN(test_hostile);
    return kp_test_report();
}
