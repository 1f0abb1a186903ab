/* test_proto_metadata.c — Metadata v1-12 requests and responses against
 * hand-assembled bytes, every version, and hostile input. */
#include "kp_proto_metadata.h"
#include "test_proto.h"

static int decode(const uint8_t *body, size_t len, int16_t version) {
    kp_metadata_response m;
    int rc = kp_metadata_response_decode(body, len, version, &m, NULL);
    kp_metadata_response_free(&m);
    return rc;
}

static const char *const foo[] = {"foo"};

static void test_request_v1(void) {
    kp_frame f;
    kp_frame_init(&f);
    kp_metadata_request req = {.topics = foo, .topics_count = 1, .allow_auto_topic_creation = 1};
    KP_CHECK_INT(kp_metadata_request_encode(&f, 1, 5, "kp", &req, NULL), 0);
    static const uint8_t v1[] = {
        0x00, 0x00, 0x00, 0x15,             /* Size: 21 */
        0x00, 0x03, 0x00, 0x01,             /* Metadata v1 */
        0x00, 0x00, 0x00, 0x05,             /* correlation_id */
        0x00, 0x02, 'k',  'p',              /* client_id */
        0x00, 0x00, 0x00, 0x01,             /* topics: 1 */
        0x00, 0x03, 'f',  'o',  'o',        /* name */
    };
    TP_CHECK_FRAME(&f, v1);

    /* null array: every topic */
    req.topics_count = -1;
    KP_CHECK_INT(kp_metadata_request_encode(&f, 1, 5, "kp", &req, NULL), 0);
    static const uint8_t v1_all[] = {0x00, 0x00, 0x00, 0x10, 0x00, 0x03, 0x00, 0x01, 0x00, 0x00,
                                     0x00, 0x05, 0x00, 0x02, 'k',  'p',  0xff, 0xff, 0xff, 0xff};
    TP_CHECK_FRAME(&f, v1_all);

    /* v4 adds allow_auto_topic_creation, v8 the two authorized-operations flags */
    req.topics_count = 0;
    req.include_topic_authorized_operations = 1;
    KP_CHECK_INT(kp_metadata_request_encode(&f, 8, 5, "kp", &req, NULL), 0);
    static const uint8_t v8_none[] = {
        0x00, 0x00, 0x00, 0x13, 0x00, 0x03, 0x00, 0x08,
        0x00, 0x00, 0x00, 0x05, 0x00, 0x02, 'k', 'p',
        0x00, 0x00, 0x00, 0x00, /* topics: none */
        0x01,                   /* allow_auto_topic_creation */
        0x00,                   /* include_cluster_authorized_operations */
        0x01,                   /* include_topic_authorized_operations */
    };
    TP_CHECK_FRAME(&f, v8_none);
    kp_frame_free(&f);
}

static void test_request_flexible(void) {
    kp_frame f;
    kp_frame_init(&f);
    kp_metadata_request req = {.topics = foo, .topics_count = 1, .allow_auto_topic_creation = 1};
    KP_CHECK_INT(kp_metadata_request_encode(&f, 9, 5, "kp", &req, NULL), 0);
    static const uint8_t v9[] = {
        0x00, 0x00, 0x00, 0x17,       /* Size: 23 */
        0x00, 0x03, 0x00, 0x09,       /* Metadata v9 */
        0x00, 0x00, 0x00, 0x05,       /* correlation_id */
        0x00, 0x02, 'k',  'p',  0x00, /* client_id, header tagged fields */
        0x02,                         /* topics: COMPACT_ARRAY of 1 */
        0x04, 'f',  'o',  'o',  0x00, /* name, topic tagged fields */
        0x01, 0x00, 0x00,             /* allow_auto, include_cluster, include_topic */
        0x00,                         /* tagged fields */
    };
    TP_CHECK_FRAME(&f, v9);

    KP_CHECK_INT(kp_metadata_request_encode(&f, 10, 5, "kp", &req, NULL), 0);
    static const uint8_t v10[] = {
        0x00, 0x00, 0x00, 0x27, 0x00, 0x03, 0x00, 0x0a,
        0x00, 0x00, 0x00, 0x05, 0x00, 0x02, 'k', 'p',
        0x00, 0x02,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* topic_id: zero uuid */
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x04, 'f', 'o', 'o', 0x00,
        0x01, 0x00, 0x00, 0x00,
    };
    TP_CHECK_FRAME(&f, v10);

    /* v11+ has no include_cluster_authorized_operations */
    KP_CHECK_INT(kp_metadata_request_encode(&f, 12, 5, "kp", &req, NULL), 0);
    static const uint8_t v12[] = {
        0x00, 0x00, 0x00, 0x26, 0x00, 0x03, 0x00, 0x0c,
        0x00, 0x00, 0x00, 0x05, 0x00, 0x02, 'k', 'p',
        0x00, 0x02,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x04, 'f', 'o', 'o', 0x00,
        0x01, 0x00, 0x00,
    };
    TP_CHECK_FRAME(&f, v12);

    req.topics_count = -1;
    KP_CHECK_INT(kp_metadata_request_encode(&f, 12, 5, "kp", &req, NULL), 0);
    static const uint8_t v12_all[] = {0x00, 0x00, 0x00, 0x11, 0x00, 0x03, 0x00, 0x0c, 0x00, 0x00,
                                      0x00, 0x05, 0x00, 0x02, 'k',  'p',  0x00,
                                      0x00, /* topics: null */
                                      0x01, 0x00, 0x00};
    TP_CHECK_FRAME(&f, v12_all);

    /* a NULL request asks for everything */
    KP_CHECK_INT(kp_metadata_request_encode(&f, 12, 5, "kp", NULL, NULL), 0);
    TP_CHECK_FRAME(&f, v12_all);
    kp_frame_free(&f);
}

/* The request for every version, assembled from the schema's version rules. */
static void test_request_every_version(void) {
    static const char *const topics[] = {"alpha", "beta"};
    kp_frame f;
    kp_frame_init(&f);
    kp_buf want;
    kp_buf_init(&want, 0);
    for (int16_t v = 1; v <= 12; v++) {
        int flex = v >= 9;
        kp_metadata_request req = {.topics = topics, .topics_count = 2,
                                   .allow_auto_topic_creation = 1,
                                   .include_topic_authorized_operations = v >= 8};
        KP_CHECK_INT(kp_metadata_request_encode(&f, v, 77, "kprod", &req, NULL), 0);
        kp_buf_reset(&want);
        size_t size_at = kp_buf_placeholder(&want, 4);
        kp_buf_i16(&want, 3);
        kp_buf_i16(&want, v);
        kp_buf_i32(&want, 77);
        tp_w_str(&want, 0, "kprod");
        tp_w_tags(&want, flex);
        kp_buf_array_len(&want, flex, 2);
        for (int i = 0; i < 2; i++) {
            if (v >= 10) kp_buf_write(&want, (uint8_t[16]){0}, 16);
            tp_w_str(&want, flex, topics[i]);
            tp_w_tags(&want, flex);
        }
        if (v >= 4) kp_buf_i8(&want, 1);
        if (v >= 8 && v <= 10) kp_buf_i8(&want, 0);
        if (v >= 8) kp_buf_i8(&want, 1);
        tp_w_tags(&want, flex);
        kp_buf_patch_i32(&want, size_at, (int32_t)want.len - 4);
        TP_CHECK_FRAME_BUF(&f, &want);
    }
    kp_buf_free(&want);
    kp_frame_free(&f);
}

static void test_request_errors(void) {
    kp_frame f;
    kp_frame_init(&f);
    kp_proto_err err;
    kp_metadata_request req = {.topics = foo, .topics_count = 1, .allow_auto_topic_creation = 0};
    KP_CHECK_INT(kp_metadata_request_encode(&f, 3, 1, "kp", &req, &err), KP_PROTO_EMALFORMED);
    KP_CHECK_STR(err.field, "allow_auto_topic_creation");
    KP_CHECK_INT(f.head.len, 0);
    KP_CHECK_INT(kp_metadata_request_encode(&f, 4, 1, "kp", &req, &err), 0);
    req.allow_auto_topic_creation = 1;
    req.include_topic_authorized_operations = 1;
    KP_CHECK_INT(kp_metadata_request_encode(&f, 7, 1, "kp", &req, &err), KP_PROTO_EMALFORMED);
    req.include_topic_authorized_operations = 0;
    req.include_cluster_authorized_operations = 1;
    KP_CHECK_INT(kp_metadata_request_encode(&f, 10, 1, "kp", &req, &err), 0);
    KP_CHECK_INT(kp_metadata_request_encode(&f, 11, 1, "kp", &req, &err), KP_PROTO_EMALFORMED);
    KP_CHECK_STR(err.field, "include_cluster_authorized_operations");
    req.include_cluster_authorized_operations = 0;
    KP_CHECK_INT(kp_metadata_request_encode(&f, 0, 1, "kp", &req, &err), KP_PROTO_EVERSION);
    KP_CHECK_INT(kp_metadata_request_encode(&f, 13, 1, "kp", &req, &err), KP_PROTO_EVERSION);
    static const char *const with_null[] = {"a", NULL};
    req.topics = with_null;
    req.topics_count = 2;
    KP_CHECK_INT(kp_metadata_request_encode(&f, 9, 1, "kp", &req, &err), KP_PROTO_EMALFORMED);
    KP_CHECK_STR(err.field, "topics.name");
    KP_CHECK_INT(f.head.len, 0);
    req.topics = NULL;
    KP_CHECK_INT(kp_metadata_request_encode(&f, 9, 1, "kp", &req, &err), KP_PROTO_EMALFORMED);
    kp_frame_free(&f);
}

/* ---- responses ---- */

static const uint8_t resp_v1[] = {
    0x00, 0x00, 0x00, 0x01,             /* brokers: 1 */
    0x00, 0x00, 0x00, 0x01,             /* node_id */
    0x00, 0x02, 'h',  '1',              /* host */
    0x00, 0x00, 0x23, 0x84,             /* port 9092 */
    0xff, 0xff,                         /* rack: null */
    0x00, 0x00, 0x00, 0x01,             /* controller_id */
    0x00, 0x00, 0x00, 0x01,             /* topics: 1 */
    0x00, 0x00,                         /* error_code */
    0x00, 0x03, 'f',  'o',  'o',        /* name */
    0x00,                               /* is_internal */
    0x00, 0x00, 0x00, 0x01,             /* partitions: 1 */
    0x00, 0x00,                         /* error_code */
    0x00, 0x00, 0x00, 0x00,             /* partition_index */
    0x00, 0x00, 0x00, 0x01,             /* leader_id */
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, /* replica_nodes [1] */
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, /* isr_nodes [1] */
};

static void test_response_v1(void) {
    kp_metadata_response m;
    KP_CHECK_INT(kp_metadata_response_decode(resp_v1, sizeof resp_v1, 1, &m, NULL), 0);
    KP_CHECK_INT(m.throttle_time_ms, 0);
    KP_CHECK_INT(m.brokers_count, 1);
    KP_CHECK_INT(m.brokers[0].node_id, 1);
    KP_CHECK_STR(m.brokers[0].host, "h1");
    KP_CHECK_INT(m.brokers[0].port, 9092);
    KP_CHECK(m.brokers[0].rack == NULL);
    KP_CHECK(m.cluster_id == NULL);
    KP_CHECK_INT(m.controller_id, 1);
    KP_CHECK_INT(m.topics_count, 1);
    kp_metadata_topic *t = &m.topics[0];
    KP_CHECK_STR(t->name, "foo");
    KP_CHECK_INT(t->is_internal, 0);
    KP_CHECK_INT(t->topic_authorized_operations, INT32_MIN);
    KP_CHECK_INT(t->partitions_count, 1);
    KP_CHECK_INT(t->partitions[0].leader_id, 1);
    KP_CHECK_INT(t->partitions[0].leader_epoch, -1);
    KP_CHECK_INT(t->partitions[0].replica_nodes_count, 1);
    KP_CHECK_INT(t->partitions[0].replica_nodes[0], 1);
    KP_CHECK_INT(t->partitions[0].isr_nodes_count, 1);
    KP_CHECK_INT(t->partitions[0].offline_replicas_count, 0);
    KP_CHECK(t->partitions[0].offline_replicas == NULL);
    KP_CHECK_INT(m.cluster_authorized_operations, INT32_MIN);
    kp_metadata_response_free(&m);
    /* the same bytes are short for v2 (cluster_id) and wrong for v3 */
    KP_CHECK(kp_metadata_response_decode(resp_v1, sizeof resp_v1, 2, &m, NULL) < 0);
    KP_CHECK(kp_metadata_response_decode(resp_v1, sizeof resp_v1, 3, &m, NULL) < 0);
}

static const uint8_t resp_v8[] = {
    0x00, 0x00, 0x00, 0x0a,             /* throttle_time_ms */
    0x00, 0x00, 0x00, 0x02,             /* brokers: 2 */
    0x00, 0x00, 0x00, 0x01, 0x00, 0x02, 'h', '1', 0x00, 0x00, 0x23, 0x84, 0x00, 0x02, 'r', '1',
    0x00, 0x00, 0x00, 0x02, 0x00, 0x02, 'h', '2', 0x00, 0x00, 0x23, 0x85, 0xff, 0xff,
    0x00, 0x02, 'c',  '1',              /* cluster_id */
    0x00, 0x00, 0x00, 0x02,             /* controller_id */
    0x00, 0x00, 0x00, 0x02,             /* topics: 2 */
    0x00, 0x00, 0x00, 0x03, 'f', 'o', 'o', 0x00, /* error_code, name, is_internal */
    0x00, 0x00, 0x00, 0x02,             /* partitions: 2 */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* error_code, partition_index 0 */
    0x00, 0x00, 0x00, 0x01,             /* leader_id */
    0x00, 0x00, 0x00, 0x07,             /* leader_epoch */
    0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x01, /* replicas [2,1] */
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, /* isr [1] */
    0x00, 0x00, 0x00, 0x00,             /* offline_replicas [] */
    0x00, 0x06, 0x00, 0x00, 0x00, 0x01, /* NOT_LEADER_OR_FOLLOWER, partition 1 */
    0xff, 0xff, 0xff, 0xff,             /* leader_id -1 */
    0xff, 0xff, 0xff, 0xff,             /* leader_epoch -1 */
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02, /* replicas [2] */
    0x00, 0x00, 0x00, 0x00,             /* isr [] */
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02, /* offline [2] */
    0x00, 0x00, 0x00, 0x18,             /* topic_authorized_operations */
    0x00, 0x03, 0x00, 0x03, 'b', 'a', 'r', 0x01, /* UNKNOWN_TOPIC_OR_PARTITION, "bar", internal */
    0x00, 0x00, 0x00, 0x00,             /* partitions [] */
    0x80, 0x00, 0x00, 0x00,             /* topic_authorized_operations: INT32_MIN */
    0x00, 0x00, 0x00, 0x20,             /* cluster_authorized_operations */
};

static void test_response_v8(void) {
    kp_metadata_response m;
    kp_proto_err err;
    KP_CHECK_INT(kp_metadata_response_decode(resp_v8, sizeof resp_v8, 8, &m, &err), 0);
    KP_CHECK_INT(m.throttle_time_ms, 10);
    KP_CHECK_INT(m.brokers_count, 2);
    KP_CHECK_STR(m.brokers[0].rack, "r1");
    KP_CHECK_STR(m.brokers[1].host, "h2");
    KP_CHECK_INT(m.brokers[1].port, 9093);
    KP_CHECK(m.brokers[1].rack == NULL);
    KP_CHECK_STR(m.cluster_id, "c1");
    KP_CHECK_INT(m.controller_id, 2);
    KP_CHECK_INT(m.topics_count, 2);
    kp_metadata_topic *t = &m.topics[0];
    KP_CHECK_INT(t->partitions_count, 2);
    KP_CHECK_INT(t->partitions[0].leader_epoch, 7);
    KP_CHECK_INT(t->partitions[0].replica_nodes_count, 2);
    KP_CHECK_INT(t->partitions[0].replica_nodes[0], 2);
    KP_CHECK_INT(t->partitions[0].replica_nodes[1], 1);
    KP_CHECK_INT(t->partitions[1].error_code, 6);
    KP_CHECK_INT(t->partitions[1].partition_index, 1);
    KP_CHECK_INT(t->partitions[1].leader_id, -1);
    KP_CHECK_INT(t->partitions[1].isr_nodes_count, 0);
    KP_CHECK_INT(t->partitions[1].offline_replicas_count, 1);
    KP_CHECK_INT(t->partitions[1].offline_replicas[0], 2);
    KP_CHECK_INT(t->topic_authorized_operations, 0x18);
    KP_CHECK_INT(m.topics[1].error_code, 3);
    KP_CHECK_STR(m.topics[1].name, "bar");
    KP_CHECK_INT(m.topics[1].is_internal, 1);
    KP_CHECK_INT(m.topics[1].partitions_count, 0);
    KP_CHECK_INT(m.cluster_authorized_operations, 0x20);
    kp_metadata_response_free(&m);
}

static const uint8_t resp_v9[] = {
    0x00, 0x00, 0x00, 0x00,             /* throttle_time_ms */
    0x02,                               /* brokers: COMPACT_ARRAY of 1 */
    0x00, 0x00, 0x00, 0x01, 0x03, 'h', '1', 0x00, 0x00, 0x23, 0x84,
    0x00,                               /* rack: null */
    0x00,                               /* broker tagged fields */
    0x03, 'c',  '1',                    /* cluster_id */
    0x00, 0x00, 0x00, 0x01,             /* controller_id */
    0x02,                               /* topics: 1 */
    0x00, 0x00, 0x04, 'f', 'o', 'o', 0x00, /* error_code, name, is_internal */
    0x02,                               /* partitions: 1 */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* error_code, partition_index */
    0x00, 0x00, 0x00, 0x01,             /* leader_id */
    0x00, 0x00, 0x00, 0x03,             /* leader_epoch */
    0x02, 0x00, 0x00, 0x00, 0x01,       /* replica_nodes [1] */
    0x02, 0x00, 0x00, 0x00, 0x01,       /* isr_nodes [1] */
    0x01,                               /* offline_replicas [] */
    0x00,                               /* partition tagged fields */
    0x00, 0x00, 0x00, 0x08,             /* topic_authorized_operations */
    0x01, 0x05, 0x02, 0xab, 0xcd,       /* topic tagged fields: unknown tag 5, skipped */
    0x80, 0x00, 0x00, 0x00,             /* cluster_authorized_operations */
    0x00,                               /* tagged fields */
};

static void test_response_v9(void) {
    kp_metadata_response m;
    KP_CHECK_INT(kp_metadata_response_decode(resp_v9, sizeof resp_v9, 9, &m, NULL), 0);
    KP_CHECK_INT(m.brokers_count, 1);
    KP_CHECK_STR(m.brokers[0].host, "h1");
    KP_CHECK(m.brokers[0].rack == NULL);
    KP_CHECK_STR(m.cluster_id, "c1");
    KP_CHECK_INT(m.topics_count, 1);
    KP_CHECK_STR(m.topics[0].name, "foo");
    KP_CHECK_INT(m.topics[0].partitions[0].leader_epoch, 3);
    KP_CHECK_INT(m.topics[0].partitions[0].isr_nodes[0], 1);
    KP_CHECK_INT(m.topics[0].topic_authorized_operations, 8);
    KP_CHECK_INT(m.cluster_authorized_operations, INT32_MIN);
    kp_metadata_response_free(&m);
    /* v10 would want a topic_id here */
    KP_CHECK(kp_metadata_response_decode(resp_v9, sizeof resp_v9, 10, &m, NULL) < 0);
}

static const uint8_t resp_v12[] = {
    0x00, 0x00, 0x00, 0x00,             /* throttle_time_ms */
    0x01,                               /* brokers: none */
    0x00,                               /* cluster_id: null */
    0xff, 0xff, 0xff, 0xff,             /* controller_id: -1 */
    0x02,                               /* topics: 1 */
    0x00, 0x64,                         /* UNKNOWN_TOPIC_ID */
    0x00,                               /* name: null, allowed from v12 */
    0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, /* topic_id */
    0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10,
    0x00,                               /* is_internal */
    0x01,                               /* partitions: none */
    0x80, 0x00, 0x00, 0x00,             /* topic_authorized_operations */
    0x00,                               /* topic tagged fields */
    0x00,                               /* tagged fields; no cluster_authorized_operations */
};

static void test_response_v12(void) {
    kp_metadata_response m;
    KP_CHECK_INT(kp_metadata_response_decode(resp_v12, sizeof resp_v12, 12, &m, NULL), 0);
    KP_CHECK_INT(m.brokers_count, 0);
    KP_CHECK(m.brokers == NULL);
    KP_CHECK(m.cluster_id == NULL);
    KP_CHECK_INT(m.controller_id, -1);
    KP_CHECK_INT(m.topics_count, 1);
    KP_CHECK_INT(m.topics[0].error_code, 100);
    KP_CHECK(m.topics[0].name == NULL);
    KP_CHECK_INT(m.topics[0].topic_id.bytes[0], 1);
    KP_CHECK_INT(m.topics[0].topic_id.bytes[15], 16);
    kp_metadata_response_free(&m);
    /* a null name is malformed before v12; v11 has the same layout otherwise */
    KP_CHECK(kp_metadata_response_decode(resp_v12, sizeof resp_v12, 11, &m, NULL) < 0);
}

/* A response for any version, assembled from the schema's version rules. */
static void build_response(kp_buf *b, int16_t v) {
    int flex = v >= 9;
    static const int32_t r21[] = {2, 1}, r1[] = {1}, r12[] = {1, 2};
    kp_buf_reset(b);
    if (v >= 3) kp_buf_i32(b, 10);
    kp_buf_array_len(b, flex, 2);
    kp_buf_i32(b, 1);
    tp_w_str(b, flex, "h1");
    kp_buf_i32(b, 9092);
    tp_w_str(b, flex, "r1");
    tp_w_tags(b, flex);
    kp_buf_i32(b, 2);
    tp_w_str(b, flex, "h2");
    kp_buf_i32(b, 9093);
    tp_w_str(b, flex, NULL);
    tp_w_tags(b, flex);
    if (v >= 2) tp_w_str(b, flex, "c1");
    kp_buf_i32(b, 2);
    kp_buf_array_len(b, flex, 2);
    /* foo: two partitions */
    kp_buf_i16(b, 0);
    tp_w_str(b, flex, "foo");
    static const uint8_t foo_id[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    if (v >= 10) kp_buf_write(b, foo_id, 16);
    kp_buf_i8(b, 0);
    kp_buf_array_len(b, flex, 2);
    kp_buf_i16(b, 0);
    kp_buf_i32(b, 0);
    kp_buf_i32(b, 1);
    if (v >= 7) kp_buf_i32(b, 7);
    tp_w_i32s(b, flex, r21, 2);
    tp_w_i32s(b, flex, r12, 2);
    if (v >= 5) tp_w_i32s(b, flex, NULL, 0);
    tp_w_tags(b, flex);
    kp_buf_i16(b, 6);
    kp_buf_i32(b, 1);
    kp_buf_i32(b, -1);
    if (v >= 7) kp_buf_i32(b, -1);
    tp_w_i32s(b, flex, r1, 1);
    tp_w_i32s(b, flex, NULL, 0);
    if (v >= 5) tp_w_i32s(b, flex, r1, 1);
    tp_w_tags(b, flex);
    if (v >= 8) kp_buf_i32(b, 0x18);
    tp_w_tags(b, flex);
    /* bar: unknown, internal, no partitions; nameless in v12 */
    kp_buf_i16(b, 3);
    tp_w_str(b, flex, v >= 12 ? NULL : "bar");
    if (v >= 10) kp_buf_write(b, (uint8_t[16]){0}, 16);
    kp_buf_i8(b, 1);
    kp_buf_array_len(b, flex, 0);
    if (v >= 8) kp_buf_i32(b, INT32_MIN);
    tp_w_tags(b, flex);
    if (v >= 8 && v <= 10) kp_buf_i32(b, 0x20);
    tp_w_tags(b, flex);
}

static void test_response_every_version(void) {
    kp_buf b;
    kp_buf_init(&b, 0);
    for (int16_t v = 1; v <= 12; v++) {
        build_response(&b, v);
        kp_metadata_response m;
        kp_proto_err err;
        int rc = kp_metadata_response_decode(b.data, b.len, v, &m, &err);
        if (!TP_CHECK_DECODED(rc, &err)) continue;
        KP_CHECK_INT(m.throttle_time_ms, v >= 3 ? 10 : 0);
        KP_CHECK_INT(m.brokers_count, 2);
        KP_CHECK_STR(m.brokers[0].rack, "r1");
        KP_CHECK_INT(m.brokers[1].port, 9093);
        KP_CHECK(v >= 2 ? m.cluster_id && !strcmp(m.cluster_id, "c1") : m.cluster_id == NULL);
        KP_CHECK_INT(m.controller_id, 2);
        KP_CHECK_INT(m.topics_count, 2);
        kp_metadata_topic *foo_t = &m.topics[0], *bar_t = &m.topics[1];
        KP_CHECK_STR(foo_t->name, "foo");
        KP_CHECK_INT(foo_t->topic_id.bytes[0], v >= 10 ? 1 : 0);
        KP_CHECK_INT(foo_t->partitions_count, 2);
        KP_CHECK_INT(foo_t->partitions[0].leader_epoch, v >= 7 ? 7 : -1);
        KP_CHECK_INT(foo_t->partitions[0].isr_nodes[1], 2);
        KP_CHECK_INT(foo_t->partitions[1].error_code, 6);
        KP_CHECK_INT(foo_t->partitions[1].offline_replicas_count, v >= 5 ? 1 : 0);
        KP_CHECK_INT(foo_t->topic_authorized_operations, v >= 8 ? 0x18 : INT32_MIN);
        KP_CHECK(v >= 12 ? bar_t->name == NULL : bar_t->name && !strcmp(bar_t->name, "bar"));
        KP_CHECK_INT(bar_t->is_internal, 1);
        KP_CHECK_INT(m.cluster_authorized_operations, v >= 8 && v <= 10 ? 0x20 : INT32_MIN);
        kp_metadata_response_free(&m);
        tp_hostile_sweep_ex(decode, b.data, b.len, v, 1);
    }
    kp_buf_free(&b);
}

static void test_hostile(void) {
    tp_hostile_sweep_ex(decode, resp_v1, sizeof resp_v1, 1, 1);
    tp_hostile_sweep_ex(decode, resp_v8, sizeof resp_v8, 8, 1);
    tp_hostile_sweep_ex(decode, resp_v9, sizeof resp_v9, 9, 1);
    tp_hostile_sweep_ex(decode, resp_v12, sizeof resp_v12, 12, 1);

    /* absurd, negative and null broker counts */
    static const uint8_t brokers_huge[] = {0x7f, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x01};
    TP_CHECK_REJECTS(decode, brokers_huge, 1);
    static const uint8_t brokers_negative[] = {0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01};
    TP_CHECK_REJECTS(decode, brokers_negative, 1);
    static const uint8_t brokers_null[] = {0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x01,
                                           0x00, 0x00, 0x00, 0x00};
    TP_CHECK_REJECTS(decode, brokers_null, 1);
    /* a host claiming 32767 bytes, a negative length, and null */
    static const uint8_t host_long[] = {0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x7f, 0xff,
                                        'h', '1', 0x00, 0x00, 0x23, 0x84, 0xff, 0xff};
    TP_CHECK_REJECTS(decode, host_long, 1);
    static const uint8_t host_negative[] = {0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
                                            0x00, 0x01, 0xff, 0xfe, 'h',  '1',
                                            0x00, 0x00, 0x23, 0x84, 0xff, 0xff};
    TP_CHECK_REJECTS(decode, host_negative, 1);
    static const uint8_t host_null[] = {0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0xff, 0xff,
                                        0x00, 0x00, 0x23, 0x84, 0xff, 0xff, 0x00, 0x00, 0x00, 0x01,
                                        0x00, 0x00, 0x00, 0x00};
    TP_CHECK_REJECTS(decode, host_null, 1);
    /* "h\0" as a host would silently become "h" */
    static const uint8_t host_nul[] = {0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x02,
                                       'h', 0x00, 0x00, 0x00, 0x23, 0x84, 0xff, 0xff, 0x00, 0x00,
                                       0x00, 0x01, 0x00, 0x00, 0x00, 0x00};
    TP_CHECK_REJECTS(decode, host_nul, 1);
    /* replica_nodes claiming a billion entries */
    uint8_t replicas_huge[sizeof resp_v1];
    memcpy(replicas_huge, resp_v1, sizeof resp_v1);
    memcpy(replicas_huge + sizeof resp_v1 - 16, (uint8_t[]){0x40, 0x00, 0x00, 0x00}, 4);
    TP_CHECK_REJECTS(decode, replicas_huge, 1);
    /* compact counts beyond int32 and beyond the frame */
    static const uint8_t compact_huge[] = {0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0x0f};
    TP_CHECK_REJECTS(decode, compact_huge, 9);
    static const uint8_t compact_big[] = {0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0x07};
    TP_CHECK_REJECTS(decode, compact_big, 9);
    /* compact string longer than what is left */
    static const uint8_t compact_host_long[] = {0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00,
                                                0x01, 0xff, 0x7f, 'h', 0x00};
    TP_CHECK_REJECTS(decode, compact_host_long, 9);

    kp_metadata_response m;
    kp_proto_err err;
    char msg[128];
    KP_CHECK_INT(sizeof resp_v9, 74);
    KP_CHECK(kp_metadata_response_decode(resp_v9, 71, 9, &m, &err) < 0);
    KP_CHECK_STR(kp_proto_err_format(&err, msg, sizeof msg),
                 "Metadata v9: truncated at offset 69 (cluster_authorized_operations)");
    KP_CHECK(kp_metadata_response_decode(resp_v9, 46, 9, &m, &err) < 0);
    KP_CHECK_STR(kp_proto_err_format(&err, msg, sizeof msg),
                 "Metadata v9: array count past end of frame at offset 33 (topics.partitions)");
    KP_CHECK(m.topics == NULL && m.brokers == NULL && m.arena.head == NULL);
    KP_CHECK_INT(kp_metadata_response_decode(resp_v9, sizeof resp_v9, 13, &m, &err),
                 KP_PROTO_EVERSION);
    KP_CHECK_INT(kp_metadata_response_decode(resp_v9, sizeof resp_v9, 0, &m, &err),
                 KP_PROTO_EVERSION);
}

/* A large response: arena growth across blocks. */
static void test_many_topics(void) {
    kp_buf b;
    kp_buf_init(&b, 0);
    enum { N = 3000 };
    kp_buf_i32(&b, 0);
    kp_buf_uvarint(&b, 1);
    kp_buf_uvarint(&b, 0);
    kp_buf_i32(&b, -1);
    kp_buf_uvarint(&b, N + 1);
    char name[32];
    for (int i = 0; i < N; i++) {
        kp_buf_i16(&b, 0);
        snprintf(name, sizeof name, "topic-%d", i);
        tp_w_str(&b, 1, name);
        kp_buf_write(&b, (uint8_t[16]){0}, 16);
        kp_buf_i8(&b, 0);
        kp_buf_uvarint(&b, 2);
        kp_buf_i16(&b, 0);
        kp_buf_i32(&b, i);
        kp_buf_i32(&b, 1);
        kp_buf_i32(&b, 0);
        static const int32_t r[] = {1, 2, 3};
        tp_w_i32s(&b, 1, r, 3);
        tp_w_i32s(&b, 1, r, 3);
        tp_w_i32s(&b, 1, NULL, 0);
        tp_w_tags(&b, 1);
        kp_buf_i32(&b, 0);
        tp_w_tags(&b, 1);
    }
    tp_w_tags(&b, 1);
    kp_metadata_response m;
    KP_CHECK_INT(kp_metadata_response_decode(b.data, b.len, 12, &m, NULL), 0);
    KP_CHECK_INT(m.topics_count, N);
    KP_CHECK_STR(m.topics[N - 1].name, "topic-2999");
    KP_CHECK_INT(m.topics[N - 1].partitions[0].partition_index, N - 1);
    KP_CHECK_INT(m.topics[N - 1].partitions[0].replica_nodes[2], 3);
    kp_metadata_response_free(&m);
    kp_buf_free(&b);
}

int main(void) {
    KP_RUN(test_request_v1);
    KP_RUN(test_request_flexible);
    KP_RUN(test_request_every_version);
    KP_RUN(test_request_errors);
    KP_RUN(test_response_v1);
    KP_RUN(test_response_v8);
    KP_RUN(test_response_v9);
    KP_RUN(test_response_v12);
    KP_RUN(test_response_every_version);
    KP_RUN(test_hostile);
    KP_RUN(test_many_topics);
    return kp_test_report();
}
