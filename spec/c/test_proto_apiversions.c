/* test_proto_apiversions.c — ApiVersions v0-3 against hand-assembled bytes,
 * the UNSUPPORTED_VERSION fallback, version picking and hostile input. */
#include "kp_proto_apiversions.h"
#include "test_proto.h"

static int decode(const uint8_t *body, size_t len, int16_t version) {
    kp_api_versions av;
    int rc = kp_api_versions_response_decode(body, len, version, &av, NULL);
    kp_api_versions_free(&av);
    return rc;
}

static void test_request_v0_to_v2(void) {
    kp_frame f;
    kp_frame_init(&f);
    KP_CHECK_INT(kp_api_versions_request_encode(&f, 0, 1, "kp", NULL, NULL), 0);
    static const uint8_t v0[] = {
        0x00, 0x00, 0x00, 0x0c, /* Size */
        0x00, 0x12, 0x00, 0x00, /* ApiVersions v0 */
        0x00, 0x00, 0x00, 0x01, /* correlation_id */
        0x00, 0x02, 'k',  'p',  /* client_id; the body is empty */
    };
    TP_CHECK_FRAME(&f, v0);
    kp_api_versions_request req = {"ignored", "below-v3"};
    KP_CHECK_INT(kp_api_versions_request_encode(&f, 2, 1, "kp", &req, NULL), 0);
    static const uint8_t v2[] = {0x00, 0x00, 0x00, 0x0c, 0x00, 0x12, 0x00, 0x02,
                                 0x00, 0x00, 0x00, 0x01, 0x00, 0x02, 'k',  'p'};
    TP_CHECK_FRAME(&f, v2);
    kp_frame_free(&f);
}

static void test_request_v3(void) {
    kp_frame f;
    kp_frame_init(&f);
    kp_api_versions_request req = {"kprod", "0.1.0"};
    KP_CHECK_INT(kp_api_versions_request_encode(&f, 3, 1, "kp", &req, NULL), 0);
    static const uint8_t v3[] = {
        0x00, 0x00, 0x00, 0x1a,                /* Size: 26 */
        0x00, 0x12, 0x00, 0x03,                /* ApiVersions v3 */
        0x00, 0x00, 0x00, 0x01,                /* correlation_id */
        0x00, 0x02, 'k',  'p',                 /* client_id, still a STRING */
        0x00,                                  /* header tagged fields */
        0x06, 'k',  'p',  'r',  'o',  'd',     /* client_software_name, COMPACT_STRING */
        0x06, '0',  '.',  '1',  '.',  '0',     /* client_software_version */
        0x00,                                  /* tagged fields */
    };
    TP_CHECK_FRAME(&f, v3);
    kp_frame_free(&f);
}

static void test_request_v3_validation(void) {
    kp_frame f;
    kp_frame_init(&f);
    kp_proto_err err;
    static const char *bad[] = {"", "-kprod", "kprod-", "kp rod", "kprod!", ".x", "x."};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        kp_api_versions_request req = {bad[i], "1.0"};
        KP_CHECK_INT(kp_api_versions_request_encode(&f, 3, 1, "kp", &req, &err),
                     KP_PROTO_EMALFORMED);
        KP_CHECK_STR(err.field, "client_software_name");
        KP_CHECK_INT(f.head.len, 0); /* nothing half-written left to send */
        kp_api_versions_request req2 = {"kprod", bad[i]};
        KP_CHECK_INT(kp_api_versions_request_encode(&f, 3, 1, "kp", &req2, &err),
                     KP_PROTO_EMALFORMED);
        KP_CHECK_STR(err.field, "client_software_version");
    }
    KP_CHECK_INT(kp_api_versions_request_encode(&f, 3, 1, "kp", NULL, &err), KP_PROTO_EMALFORMED);
    kp_api_versions_request ok = {"a", "1.2-rc3.x"};
    KP_CHECK_INT(kp_api_versions_request_encode(&f, 3, 1, "kp", &ok, &err), 0);
    KP_CHECK_INT(kp_api_versions_request_encode(&f, 4, 1, "kp", &ok, &err), KP_PROTO_EVERSION);
    KP_CHECK_STR(err.api, "ApiVersions");
    KP_CHECK_INT(kp_api_versions_request_encode(&f, -1, 1, "kp", &ok, &err), KP_PROTO_EVERSION);
    kp_frame_free(&f);
}

/* Produce 3..10 and ApiVersions 0..3. */
static const uint8_t resp_v0[] = {
    0x00, 0x00,                         /* error_code */
    0x00, 0x00, 0x00, 0x02,             /* api_keys: 2 */
    0x00, 0x00, 0x00, 0x03, 0x00, 0x0a, /* Produce 3..10 */
    0x00, 0x12, 0x00, 0x00, 0x00, 0x03, /* ApiVersions 0..3 */
};

static const uint8_t resp_v1[] = {
    0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x03, 0x00, 0x0a,
    0x00, 0x12, 0x00, 0x00, 0x00, 0x03,
    0x00, 0x00, 0x00, 0x64, /* throttle_time_ms: 100 */
};

static const uint8_t resp_v3[] = {
    0x00, 0x00,                               /* error_code */
    0x03,                                     /* api_keys: COMPACT_ARRAY of 2 */
    0x00, 0x00, 0x00, 0x03, 0x00, 0x0a, 0x00, /* Produce 3..10, tagged fields */
    0x00, 0x12, 0x00, 0x00, 0x00, 0x03, 0x00, /* ApiVersions 0..3, tagged fields */
    0x00, 0x00, 0x00, 0x64,                   /* throttle_time_ms */
    0x01,                                     /* one tagged field: */
    0x01, 0x08,                               /* FinalizedFeaturesEpoch, 8 bytes, skipped */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05,
};

static void check_two_keys(const kp_api_versions *av) {
    KP_CHECK_INT(av->error_code, 0);
    KP_CHECK_INT(av->api_keys_count, 2);
    if (av->api_keys_count != 2) return;
    KP_CHECK_INT(av->api_keys[0].api_key, KP_API_PRODUCE);
    KP_CHECK_INT(av->api_keys[0].min_version, 3);
    KP_CHECK_INT(av->api_keys[0].max_version, 10);
    KP_CHECK_INT(av->api_keys[1].api_key, KP_API_API_VERSIONS);
    KP_CHECK_INT(av->api_keys[1].min_version, 0);
    KP_CHECK_INT(av->api_keys[1].max_version, 3);
}

static void test_response_versions(void) {
    kp_api_versions av;
    kp_proto_err err;
    KP_CHECK_INT(kp_api_versions_response_decode(resp_v0, sizeof resp_v0, 0, &av, &err), 0);
    check_two_keys(&av);
    KP_CHECK_INT(av.throttle_time_ms, 0);
    KP_CHECK_INT(av.body_version, 0);
    kp_api_versions_free(&av);

    for (int16_t v = 1; v <= 2; v++) {
        KP_CHECK_INT(kp_api_versions_response_decode(resp_v1, sizeof resp_v1, v, &av, &err), 0);
        check_two_keys(&av);
        KP_CHECK_INT(av.throttle_time_ms, 100);
        KP_CHECK_INT(av.body_version, v);
        kp_api_versions_free(&av);
    }

    KP_CHECK_INT(kp_api_versions_response_decode(resp_v3, sizeof resp_v3, 3, &av, &err), 0);
    check_two_keys(&av);
    KP_CHECK_INT(av.throttle_time_ms, 100);
    KP_CHECK_INT(av.body_version, 3);
    kp_api_versions_free(&av);

    /* a version mismatch is not silently accepted */
    KP_CHECK(kp_api_versions_response_decode(resp_v0, sizeof resp_v0, 1, &av, &err) < 0);
    KP_CHECK(kp_api_versions_response_decode(resp_v1, sizeof resp_v1, 3, &av, &err) < 0);
    KP_CHECK_INT(kp_api_versions_response_decode(resp_v0, sizeof resp_v0, 4, &av, &err),
                 KP_PROTO_EVERSION);
}

static void test_unsupported_version_fallback(void) {
    kp_api_versions av;
    kp_proto_err err;

    /* A Kafka broker refusing v3 answers UNSUPPORTED_VERSION in the v0 layout
     * and lists the ApiVersions range it does support (KIP-511). */
    static const uint8_t kafka[] = {0x00, 0x23, 0x00, 0x00, 0x00, 0x01,
                                    0x00, 0x12, 0x00, 0x00, 0x00, 0x02};
    KP_CHECK_INT(kp_api_versions_response_decode(kafka, sizeof kafka, 3, &av, &err), 0);
    KP_CHECK_INT(av.error_code, 35);
    KP_CHECK_INT(av.body_version, 0);
    KP_CHECK_INT(av.api_keys_count, 1);
    KP_CHECK_INT(kp_api_versions_pick(&av, KP_API_API_VERSIONS, 0, 3), 2);
    kp_api_versions_free(&av);
    /* same answer to a v1 or v2 request */
    KP_CHECK_INT(kp_api_versions_response_decode(kafka, sizeof kafka, 2, &av, &err), 0);
    KP_CHECK_INT(av.body_version, 0);
    kp_api_versions_free(&av);

    /* librdkafka's mock (ApiVersions max v2) answers a v3 request with a
     * one-byte count, no per-entry tags and a throttle time: no layout fits,
     * so only the error survives and the client retries at v0. */
    static const uint8_t rdkafka_mock[] = {0x00, 0x23, 0x01, 0x00, 0x12, 0x00, 0x00,
                                           0x00, 0x02, 0x00, 0x00, 0x00, 0x00};
    KP_CHECK_INT(
        kp_api_versions_response_decode(rdkafka_mock, sizeof rdkafka_mock, 3, &av, &err), 0);
    KP_CHECK_INT(av.error_code, 35);
    KP_CHECK_INT(av.body_version, -1);
    KP_CHECK_INT(av.api_keys_count, 0);
    KP_CHECK(av.api_keys == NULL);
    KP_CHECK_INT(kp_api_versions_pick(&av, KP_API_API_VERSIONS, 0, 3), -1);
    kp_api_versions_free(&av);

    /* refused in the requested (v3) layout */
    static const uint8_t v3_layout[] = {0x00, 0x23, 0x02, 0x00, 0x12, 0x00, 0x00, 0x00,
                                        0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
    KP_CHECK_INT(kp_api_versions_response_decode(v3_layout, sizeof v3_layout, 3, &av, &err), 0);
    KP_CHECK_INT(av.error_code, 35);
    KP_CHECK_INT(av.body_version, 3);
    KP_CHECK_INT(kp_api_versions_pick(&av, KP_API_API_VERSIONS, 0, 3), 2);
    kp_api_versions_free(&av);

    /* just the error code */
    static const uint8_t bare[] = {0x00, 0x23};
    KP_CHECK_INT(kp_api_versions_response_decode(bare, sizeof bare, 3, &av, &err), 0);
    KP_CHECK_INT(av.error_code, 35);
    KP_CHECK_INT(av.body_version, -1);
    kp_api_versions_free(&av);

    /* at v0 there is nothing lower to fall back to: the layout must fit */
    KP_CHECK(kp_api_versions_response_decode(bare, sizeof bare, 0, &av, &err) < 0);
    /* other errors get no such leniency */
    static const uint8_t other_error[] = {0x00, 0x2a, 0x01};
    KP_CHECK(kp_api_versions_response_decode(other_error, sizeof other_error, 3, &av, &err) < 0);
    static const uint8_t one_byte[] = {0x00};
    KP_CHECK(kp_api_versions_response_decode(one_byte, sizeof one_byte, 3, &av, &err) < 0);
}

static void test_pick(void) {
    kp_api_versions av;
    KP_CHECK_INT(kp_api_versions_response_decode(resp_v0, sizeof resp_v0, 0, &av, NULL), 0);
    KP_CHECK_INT(kp_api_versions_pick(&av, KP_API_PRODUCE, 3, 10), 10);
    KP_CHECK_INT(kp_api_versions_pick(&av, KP_API_PRODUCE, 3, 8), 8);
    KP_CHECK_INT(kp_api_versions_pick(&av, KP_API_PRODUCE, 0, 2), -1);
    KP_CHECK_INT(kp_api_versions_pick(&av, KP_API_PRODUCE, 10, 12), 10);
    KP_CHECK_INT(kp_api_versions_pick(&av, KP_API_PRODUCE, 11, 12), -1);
    KP_CHECK_INT(kp_api_versions_pick(&av, KP_API_METADATA, 1, 12), -1);
    KP_CHECK_INT(kp_api_versions_pick(&av, KP_API_API_VERSIONS, 0, 3), 3);
    kp_api_versions_free(&av);
    kp_api_versions_free(&av); /* freeing twice is harmless */
}

static void test_hostile(void) {
    tp_hostile_sweep(decode, resp_v0, sizeof resp_v0, 0);
    tp_hostile_sweep(decode, resp_v1, sizeof resp_v1, 1);
    tp_hostile_sweep(decode, resp_v1, sizeof resp_v1, 2);
    tp_hostile_sweep(decode, resp_v3, sizeof resp_v3, 3);

    static const uint8_t absurd_count[] = {0x00, 0x00, 0x7f, 0xff, 0xff, 0xff, 0x00, 0x00};
    TP_CHECK_REJECTS(decode, absurd_count, 0);
    static const uint8_t negative_count[] = {0x00, 0x00, 0xff, 0xff, 0xff, 0xfe};
    TP_CHECK_REJECTS(decode, negative_count, 0);
    static const uint8_t null_array[] = {0x00, 0x00, 0xff, 0xff, 0xff, 0xff};
    TP_CHECK_REJECTS(decode, null_array, 0);
    /* compact counts: 2^32-1 (out of range), 2^30 (past end), null */
    static const uint8_t compact_huge[] = {0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x00};
    TP_CHECK_REJECTS(decode, compact_huge, 3);
    static const uint8_t compact_big[] = {0x00, 0x00, 0x80, 0x80, 0x80, 0x80, 0x04, 0x00};
    TP_CHECK_REJECTS(decode, compact_big, 3);
    static const uint8_t compact_null[] = {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
    TP_CHECK_REJECTS(decode, compact_null, 3);
    /* varint that never ends */
    static const uint8_t endless[] = {0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                      0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
    TP_CHECK_REJECTS(decode, endless, 3);
    /* a tagged field claiming more bytes than remain */
    static const uint8_t tag_overrun[] = {0x00, 0x00, 0x01, 0x00, 0x00,
                                          0x00, 0x00, 0x01, 0x01, 0x7f};
    TP_CHECK_REJECTS(decode, tag_overrun, 3);

    kp_api_versions av;
    kp_proto_err err;
    char msg[128];
    KP_CHECK(kp_api_versions_response_decode(resp_v3, 19, 3, &av, &err) < 0);
    KP_CHECK_STR(kp_proto_err_format(&err, msg, sizeof msg),
                 "ApiVersions v3: truncated at offset 17 (throttle_time_ms)");
    KP_CHECK(kp_api_versions_response_decode(resp_v3, 5, 3, &av, &err) < 0);
    KP_CHECK_STR(kp_proto_err_format(&err, msg, sizeof msg),
                 "ApiVersions v3: array count past end of frame at offset 2 (api_keys)");
}

int main(void) {
    KP_RUN(test_request_v0_to_v2);
    KP_RUN(test_request_v3);
    KP_RUN(test_request_v3_validation);
    KP_RUN(test_response_versions);
    KP_RUN(test_unsupported_version_fallback);
    KP_RUN(test_pick);
    KP_RUN(test_hostile);
    return kp_test_report();
}
