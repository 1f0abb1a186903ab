/* test_proto_produce.c — Produce v3-10: zero-copy requests and responses
 * (v10 leader hints included) against hand-assembled bytes, and hostile input. */
#include "kp_proto_produce.h"
#include "test_proto.h"

static int decode(const uint8_t *body, size_t len, int16_t version) {
    kp_produce_response p;
    int rc = kp_produce_response_decode(body, len, version, &p, NULL);
    kp_produce_response_free(&p);
    return rc;
}

static const uint8_t recs[] = {'R', 'E', 'C', 'S'};

static void test_request_v3(void) {
    kp_produce_partition_data parts[] = {{0, recs, sizeof recs, NULL, 0}, {1, NULL, 0, NULL, 0}};
    kp_produce_topic_data topic = {"t", parts, 2};
    kp_produce_request req = {NULL, -1, 30000, &topic, 1};
    kp_frame f;
    kp_frame_init(&f);
    KP_CHECK_INT(kp_produce_request_encode(&f, 3, 9, "kp", &req, NULL), 0);
    static const uint8_t v3[] = {
        0x00, 0x00, 0x00, 0x33,       /* Size: 51, the spliced records counted */
        0x00, 0x00, 0x00, 0x03,       /* Produce v3 */
        0x00, 0x00, 0x00, 0x09,       /* correlation_id */
        0x00, 0x02, 'k',  'p',        /* client_id */
        0xff, 0xff,                   /* transactional_id: null */
        0xff, 0xff,                   /* acks: -1 */
        0x00, 0x00, 0x75, 0x30,       /* timeout_ms: 30000 */
        0x00, 0x00, 0x00, 0x01,       /* topic_data: 1 */
        0x00, 0x01, 't',              /* name */
        0x00, 0x00, 0x00, 0x02,       /* partition_data: 2 */
        0x00, 0x00, 0x00, 0x00,       /* index 0 */
        0x00, 0x00, 0x00, 0x04,       /* records: 4 bytes... */
        'R',  'E',  'C',  'S',        /* ...spliced */
        0x00, 0x00, 0x00, 0x01,       /* index 1 */
        0xff, 0xff, 0xff, 0xff,       /* records: null */
    };
    TP_CHECK_FRAME(&f, v3);

    /* the records go out by reference, between two pieces of head */
    struct iovec iov[4];
    KP_CHECK_INT(kp_frame_iov(&f, iov, 4), 3);
    KP_CHECK_INT(iov[0].iov_len, 43);
    KP_CHECK(iov[1].iov_base == (void *)recs);
    KP_CHECK_INT(iov[1].iov_len, 4);
    KP_CHECK_INT(iov[2].iov_len, 8);
    kp_frame_free(&f);
}

static void test_request_v9(void) {
    kp_produce_partition_data part = {2, recs, sizeof recs, NULL, 0};
    kp_produce_topic_data topic = {"t", &part, 1};
    kp_produce_request req = {"tx", 1, 1000, &topic, 1};
    kp_frame f;
    kp_frame_init(&f);
    KP_CHECK_INT(kp_produce_request_encode(&f, 9, 11, "kp", &req, NULL), 0);
    static const uint8_t v9[] = {
        0x00, 0x00, 0x00, 0x26,       /* Size: 38 */
        0x00, 0x00, 0x00, 0x09,       /* Produce v9 */
        0x00, 0x00, 0x00, 0x0b,       /* correlation_id */
        0x00, 0x02, 'k',  'p',  0x00, /* client_id, header tagged fields */
        0x03, 't',  'x',              /* transactional_id: COMPACT_NULLABLE_STRING */
        0x00, 0x01,                   /* acks */
        0x00, 0x00, 0x03, 0xe8,       /* timeout_ms: 1000 */
        0x02,                         /* topic_data: COMPACT_ARRAY of 1 */
        0x02, 't',                    /* name */
        0x02,                         /* partition_data: 1 */
        0x00, 0x00, 0x00, 0x02,       /* index */
        0x05,                         /* records: COMPACT_NULLABLE_BYTES, 4 + 1 */
        'R',  'E',  'C',  'S',        /* spliced */
        0x00,                         /* partition tagged fields */
        0x00,                         /* topic tagged fields */
        0x00,                         /* tagged fields */
    };
    TP_CHECK_FRAME(&f, v9);

    /* v10 changes nothing in the request */
    KP_CHECK_INT(kp_produce_request_encode(&f, 10, 11, "kp", &req, NULL), 0);
    TP_CHECK_FRAME_AS_VERSION(&f, v9, 10);
    kp_frame_free(&f);
}

/* Every version, from the schema's rules, with several topics, partitions, a
 * null record set and one long enough for a two-byte varint length. */
static void test_request_every_version(void) {
    uint8_t big[300];
    for (size_t i = 0; i < sizeof big; i++) big[i] = (uint8_t)i;
    kp_produce_partition_data a[] = {{0, recs, sizeof recs, NULL, 0}, {3, big, sizeof big, NULL, 0}};
    kp_produce_partition_data b[] = {{7, NULL, 0, NULL, 0}};
    kp_produce_topic_data topics[] = {{"alpha", a, 2}, {"beta", b, 1}};
    kp_produce_request req = {"txn-1", -1, 5000, topics, 2};
    kp_frame f;
    kp_frame_init(&f);
    kp_buf want;
    kp_buf_init(&want, 0);
    for (int16_t v = 3; v <= 10; v++) {
        int flex = v >= 9;
        KP_CHECK_INT(kp_produce_request_encode(&f, v, 1234, "kprod", &req, NULL), 0);
        KP_CHECK_INT(f.nsplices, 2);
        kp_buf_reset(&want);
        size_t size_at = kp_buf_placeholder(&want, 4);
        kp_buf_i16(&want, 0);
        kp_buf_i16(&want, v);
        kp_buf_i32(&want, 1234);
        tp_w_str(&want, 0, "kprod");
        tp_w_tags(&want, flex);
        tp_w_str(&want, flex, "txn-1");
        kp_buf_i16(&want, -1);
        kp_buf_i32(&want, 5000);
        kp_buf_array_len(&want, flex, 2);
        for (int t = 0; t < 2; t++) {
            tp_w_str(&want, flex, topics[t].name);
            kp_buf_array_len(&want, flex, topics[t].partition_data_count);
            for (int p = 0; p < topics[t].partition_data_count; p++) {
                const kp_produce_partition_data *pd = &topics[t].partition_data[p];
                kp_buf_i32(&want, pd->index);
                int32_t n = pd->records ? (int32_t)pd->records_len : -1;
                if (flex) kp_buf_compact_bytes(&want, pd->records, n);
                else kp_buf_bytes(&want, pd->records, n);
                tp_w_tags(&want, flex);
            }
            tp_w_tags(&want, flex);
        }
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
    kp_produce_partition_data part = {0, recs, sizeof recs, NULL, 0};
    kp_produce_topic_data topic = {NULL, &part, 1};
    kp_produce_request req = {NULL, 1, 1000, &topic, 1};
    KP_CHECK_INT(kp_produce_request_encode(&f, 9, 1, "kp", &req, &err), KP_PROTO_EMALFORMED);
    KP_CHECK_STR(err.field, "topic_data.name");
    KP_CHECK_INT(f.head.len, 0);
    KP_CHECK_INT(f.nsplices, 0); /* no dangling reference to the caller's records */
    topic.name = "t";
    KP_CHECK_INT(kp_produce_request_encode(&f, 2, 1, "kp", &req, &err), KP_PROTO_EVERSION);
    KP_CHECK_INT(kp_produce_request_encode(&f, 11, 1, "kp", &req, &err), KP_PROTO_EVERSION);
    KP_CHECK_INT(kp_produce_request_encode(&f, 9, 1, "kp", NULL, &err), KP_PROTO_EMALFORMED);
    req.topic_data_count = -1;
    KP_CHECK_INT(kp_produce_request_encode(&f, 9, 1, "kp", &req, &err), KP_PROTO_EMALFORMED);
    req.topic_data_count = 1;
    topic.partition_data = NULL;
    KP_CHECK_INT(kp_produce_request_encode(&f, 3, 1, "kp", &req, &err), KP_PROTO_EMALFORMED);
    topic.partition_data = &part;
    part.records_len = (size_t)INT32_MAX + 1; /* never read: rejected by size */
    KP_CHECK_INT(kp_produce_request_encode(&f, 3, 1, "kp", &req, &err), KP_PROTO_EMALFORMED);
    KP_CHECK_STR(err.field, "partition_data.records");
    kp_frame_free(&f);
}

/* ---- responses ---- */

static const uint8_t resp_v3[] = {
    0x00, 0x00, 0x00, 0x01,                         /* responses: 1 */
    0x00, 0x01, 't',                                /* name */
    0x00, 0x00, 0x00, 0x01,                         /* partition_responses: 1 */
    0x00, 0x00, 0x00, 0x00,                         /* index */
    0x00, 0x00,                                     /* error_code */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2a, /* base_offset: 42 */
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, /* log_append_time_ms: -1 */
    0x00, 0x00, 0x00, 0x05,                         /* throttle_time_ms */
};

static const uint8_t resp_v5[] = {
    0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 't', 0x00, 0x00, 0x00, 0x01,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2a,
    0x00, 0x00, 0x01, 0x7f, 0x00, 0x00, 0x00, 0x00, /* log_append_time_ms */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07, /* log_start_offset: 7 */
    0x00, 0x00, 0x00, 0x00,
};

static const uint8_t resp_v8[] = {
    0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 't', 0x00, 0x00, 0x00, 0x01,
    0x00, 0x00, 0x00, 0x02,                         /* index 2 */
    0x00, 0x57,                                     /* INVALID_RECORD (87) */
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x02,                         /* record_errors: 2 */
    0x00, 0x00, 0x00, 0x03, 0x00, 0x03, 'b', 'a', 'd', /* batch_index 3, message */
    0x00, 0x00, 0x00, 0x04, 0xff, 0xff,             /* batch_index 4, null message */
    0x00, 0x04, 'o',  'o',  'p',  's',              /* error_message */
    0x00, 0x00, 0x00, 0x00,
};

static const uint8_t resp_v9[] = {
    0x02,                                           /* responses: COMPACT_ARRAY of 1 */
    0x02, 't',                                      /* name */
    0x02,                                           /* partition_responses: 1 */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00,             /* index, error_code */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2a, /* base_offset */
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, /* log_append_time_ms */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* log_start_offset */
    0x01,                                           /* record_errors: none */
    0x00,                                           /* error_message: null */
    0x00,                                           /* partition tagged fields */
    0x00,                                           /* topic tagged fields */
    0x00, 0x00, 0x00, 0x00,                         /* throttle_time_ms */
    0x00,                                           /* tagged fields */
};

static const uint8_t resp_v10[] = {
    0x02, 0x02, 't', 0x02,
    0x00, 0x00, 0x00, 0x01,                         /* index 1 */
    0x00, 0x06,                                     /* NOT_LEADER_OR_FOLLOWER */
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0x01, 0x00,                                     /* record_errors: none, error_message: null */
    0x01,                                           /* partition tagged fields: 1 */
    0x00, 0x09,                                     /* tag 0 CurrentLeader, 9 bytes: */
    0x00, 0x00, 0x00, 0x02,                         /*   leader_id */
    0x00, 0x00, 0x00, 0x07,                         /*   leader_epoch */
    0x00,                                           /*   its tagged fields */
    0x00,                                           /* topic tagged fields */
    0x00, 0x00, 0x00, 0x00,                         /* throttle_time_ms */
    0x02,                                           /* tagged fields: 2 */
    0x00, 0x0e,                                     /* tag 0 NodeEndpoints, 14 bytes: */
    0x02,                                           /*   1 endpoint */
    0x00, 0x00, 0x00, 0x02,                         /*   node_id */
    0x03, 'h',  '2',                                /*   host */
    0x00, 0x00, 0x23, 0x85,                         /*   port */
    0x00,                                           /*   rack: null */
    0x00,                                           /*   its tagged fields */
    0x05, 0x02, 0xaa, 0xbb,                         /* tag 5, unknown: skipped */
};

static void test_response_v3_to_v8(void) {
    kp_produce_response p;
    for (int16_t v = 3; v <= 4; v++) {
        KP_CHECK_INT(kp_produce_response_decode(resp_v3, sizeof resp_v3, v, &p, NULL), 0);
        KP_CHECK_INT(p.responses_count, 1);
        KP_CHECK_STR(p.responses[0].name, "t");
        KP_CHECK_INT(p.responses[0].partition_responses_count, 1);
        kp_produce_partition_response *r = &p.responses[0].partition_responses[0];
        KP_CHECK_INT(r->index, 0);
        KP_CHECK_INT(r->error_code, 0);
        KP_CHECK_INT(r->base_offset, 42);
        KP_CHECK_INT(r->log_append_time_ms, -1);
        KP_CHECK_INT(r->log_start_offset, -1);
        KP_CHECK_INT(r->current_leader.leader_id, -1);
        KP_CHECK_INT(p.throttle_time_ms, 5);
        kp_produce_response_free(&p);
    }
    KP_CHECK(kp_produce_response_decode(resp_v3, sizeof resp_v3, 5, &p, NULL) < 0);

    for (int16_t v = 5; v <= 7; v++) {
        KP_CHECK_INT(kp_produce_response_decode(resp_v5, sizeof resp_v5, v, &p, NULL), 0);
        kp_produce_partition_response *r = &p.responses[0].partition_responses[0];
        KP_CHECK_INT(r->log_append_time_ms, 0x17f00000000LL);
        KP_CHECK_INT(r->log_start_offset, 7);
        KP_CHECK_INT(r->record_errors_count, 0);
        KP_CHECK(r->error_message == NULL);
        kp_produce_response_free(&p);
    }

    KP_CHECK_INT(kp_produce_response_decode(resp_v8, sizeof resp_v8, 8, &p, NULL), 0);
    kp_produce_partition_response *r = &p.responses[0].partition_responses[0];
    KP_CHECK_INT(r->index, 2);
    KP_CHECK_INT(r->error_code, 87);
    KP_CHECK_INT(r->base_offset, -1);
    KP_CHECK_INT(r->log_start_offset, 0);
    KP_CHECK_INT(r->record_errors_count, 2);
    KP_CHECK_INT(r->record_errors[0].batch_index, 3);
    KP_CHECK_STR(r->record_errors[0].batch_index_error_message, "bad");
    KP_CHECK_INT(r->record_errors[1].batch_index, 4);
    KP_CHECK(r->record_errors[1].batch_index_error_message == NULL);
    KP_CHECK_STR(r->error_message, "oops");
    kp_produce_response_free(&p);
}

static void test_response_v9_v10(void) {
    kp_produce_response p;
    KP_CHECK_INT(kp_produce_response_decode(resp_v9, sizeof resp_v9, 9, &p, NULL), 0);
    KP_CHECK_STR(p.responses[0].name, "t");
    KP_CHECK_INT(p.responses[0].partition_responses[0].base_offset, 42);
    KP_CHECK_INT(p.responses[0].partition_responses[0].current_leader.leader_id, -1);
    KP_CHECK_INT(p.node_endpoints_count, 0);
    kp_produce_response_free(&p);
    /* v10 reads the same bytes: its additions are tagged */
    KP_CHECK_INT(kp_produce_response_decode(resp_v9, sizeof resp_v9, 10, &p, NULL), 0);
    kp_produce_response_free(&p);

    KP_CHECK_INT(kp_produce_response_decode(resp_v10, sizeof resp_v10, 10, &p, NULL), 0);
    kp_produce_partition_response *r = &p.responses[0].partition_responses[0];
    KP_CHECK_INT(r->error_code, 6);
    KP_CHECK_INT(r->current_leader.leader_id, 2);
    KP_CHECK_INT(r->current_leader.leader_epoch, 7);
    KP_CHECK_INT(p.node_endpoints_count, 1);
    KP_CHECK_INT(p.node_endpoints[0].node_id, 2);
    KP_CHECK_STR(p.node_endpoints[0].host, "h2");
    KP_CHECK_INT(p.node_endpoints[0].port, 9093);
    KP_CHECK(p.node_endpoints[0].rack == NULL);
    kp_produce_response_free(&p);
    /* v9 has no tags defined, so they are skipped, not parsed */
    KP_CHECK_INT(kp_produce_response_decode(resp_v10, sizeof resp_v10, 9, &p, NULL), 0);
    KP_CHECK_INT(p.node_endpoints_count, 0);
    KP_CHECK_INT(p.responses[0].partition_responses[0].current_leader.leader_id, -1);
    kp_produce_response_free(&p);
}

/* Tagged fields whose declared size disagrees with their content. */
static void test_tag_sizes(void) {
    uint8_t m[sizeof resp_v10];
    const size_t size_at = 38; /* CurrentLeader's size byte */
    memcpy(m, resp_v10, sizeof m);
    KP_CHECK_INT(m[size_at - 1], 0x00);
    KP_CHECK_INT(m[size_at], 0x09);
    /* too small: the content would run past its field */
    m[size_at] = 0x08;
    KP_CHECK(tp_decode_copy(decode, m, sizeof m, 10) < 0);
    /* too big: the field would swallow the topic tags and the rest */
    m[size_at] = 0x0a;
    KP_CHECK(tp_decode_copy(decode, m, sizeof m, 10) < 0);
    m[size_at] = 0x7f;
    KP_CHECK(tp_decode_copy(decode, m, sizeof m, 10) < 0);

    /* a bigger field than its content, with room: the rest is skipped */
    kp_buf b;
    kp_buf_init(&b, 0);
    kp_buf_write(&b, resp_v10, size_at);
    kp_buf_uvarint(&b, 11);
    kp_buf_write(&b, resp_v10 + size_at + 1, 9);
    kp_buf_i16(&b, 0x7777); /* two bytes a future version might add */
    kp_buf_write(&b, resp_v10 + size_at + 10, sizeof resp_v10 - size_at - 10);
    kp_produce_response p;
    KP_CHECK_INT(kp_produce_response_decode(b.data, b.len, 10, &p, NULL), 0);
    KP_CHECK_INT(p.responses[0].partition_responses[0].current_leader.leader_epoch, 7);
    KP_CHECK_INT(p.node_endpoints_count, 1);
    kp_produce_response_free(&p);
    kp_buf_free(&b);
}

/* Every version, from the schema's rules: two topics, three partitions. */
static void build_response(kp_buf *b, int16_t v) {
    int flex = v >= 9;
    kp_buf_reset(b);
    kp_buf_array_len(b, flex, 2);
    for (int t = 0; t < 2; t++) {
        tp_w_str(b, flex, t ? "beta" : "alpha");
        kp_buf_array_len(b, flex, t ? 1 : 2);
        for (int p = 0; p < (t ? 1 : 2); p++) {
            kp_buf_i32(b, p);
            kp_buf_i16(b, (int16_t)(t * 10 + p));
            kp_buf_i64(b, 1000 * t + p);
            kp_buf_i64(b, -1);
            if (v >= 5) kp_buf_i64(b, 5);
            if (v >= 8) {
                kp_buf_array_len(b, flex, 1);
                kp_buf_i32(b, p);
                tp_w_str(b, flex, "why");
                tp_w_tags(b, flex);
                tp_w_str(b, flex, p ? NULL : "summary");
            }
            if (flex && v >= 10 && p == 1) {
                kp_buf_uvarint(b, 1);
                kp_buf_uvarint(b, 0);
                kp_buf_uvarint(b, 9);
                kp_buf_i32(b, 3);
                kp_buf_i32(b, 12);
                tp_w_tags(b, flex);
            } else {
                tp_w_tags(b, flex);
            }
        }
        tp_w_tags(b, flex);
    }
    kp_buf_i32(b, 250);
    tp_w_tags(b, flex);
}

static void test_response_every_version(void) {
    kp_buf b;
    kp_buf_init(&b, 0);
    for (int16_t v = 3; v <= 10; v++) {
        build_response(&b, v);
        kp_produce_response p;
        kp_proto_err err;
        int rc = kp_produce_response_decode(b.data, b.len, v, &p, &err);
        if (!TP_CHECK_DECODED(rc, &err)) continue;
        KP_CHECK_INT(p.responses_count, 2);
        KP_CHECK_STR(p.responses[1].name, "beta");
        KP_CHECK_INT(p.responses[0].partition_responses_count, 2);
        kp_produce_partition_response *r = &p.responses[0].partition_responses[1];
        KP_CHECK_INT(r->index, 1);
        KP_CHECK_INT(r->error_code, 1);
        KP_CHECK_INT(r->base_offset, 1);
        KP_CHECK_INT(r->log_start_offset, v >= 5 ? 5 : -1);
        KP_CHECK_INT(r->record_errors_count, v >= 8 ? 1 : 0);
        KP_CHECK(r->error_message == NULL);
        KP_CHECK_INT(r->current_leader.leader_id, v >= 10 ? 3 : -1);
        KP_CHECK_INT(r->current_leader.leader_epoch, v >= 10 ? 12 : -1);
        kp_produce_partition_response *r0 = &p.responses[0].partition_responses[0];
        KP_CHECK(v >= 8 ? r0->error_message && !strcmp(r0->error_message, "summary")
                        : r0->error_message == NULL);
        KP_CHECK_INT(p.responses[1].partition_responses[0].base_offset, 1000);
        KP_CHECK_INT(p.throttle_time_ms, 250);
        kp_produce_response_free(&p);
        tp_hostile_sweep(decode, b.data, b.len, v);
    }
    kp_buf_free(&b);
}

static void test_hostile(void) {
    tp_hostile_sweep(decode, resp_v3, sizeof resp_v3, 3);
    tp_hostile_sweep(decode, resp_v5, sizeof resp_v5, 5);
    tp_hostile_sweep(decode, resp_v8, sizeof resp_v8, 8);
    tp_hostile_sweep(decode, resp_v9, sizeof resp_v9, 9);
    tp_hostile_sweep(decode, resp_v10, sizeof resp_v10, 10);

    static const uint8_t responses_huge[] = {0x7f, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00};
    TP_CHECK_REJECTS(decode, responses_huge, 3);
    static const uint8_t responses_negative[] = {0xff, 0xff, 0xff, 0xf0, 0x00, 0x00, 0x00, 0x00};
    TP_CHECK_REJECTS(decode, responses_negative, 3);
    static const uint8_t name_negative[] = {0x00, 0x00, 0x00, 0x01, 0xff, 0xf0, 0x00, 0x00,
                                            0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
    TP_CHECK_REJECTS(decode, name_negative, 3);
    uint8_t record_errors_huge[sizeof resp_v8];
    memcpy(record_errors_huge, resp_v8, sizeof resp_v8);
    record_errors_huge[41] = 0x10; /* record_errors count's high byte */
    TP_CHECK_REJECTS(decode, record_errors_huge, 8);
    /* NodeEndpoints claiming 2^28 entries inside a 14-byte field */
    uint8_t endpoints_huge[sizeof resp_v10];
    memcpy(endpoints_huge, resp_v10, sizeof resp_v10);
    KP_CHECK_INT(endpoints_huge[56], 0x02);
    memcpy(endpoints_huge + 56, (uint8_t[]){0xff, 0xff, 0xff, 0x7f}, 4);
    TP_CHECK_REJECTS(decode, endpoints_huge, 10);

    kp_produce_response p;
    kp_proto_err err;
    char msg[128];
    KP_CHECK(kp_produce_response_decode(resp_v10, 45, 10, &p, &err) < 0);
    KP_CHECK_STR(kp_proto_err_format(&err, msg, sizeof msg),
                 "Produce v10: tagged field past end of frame at offset 36 (tagged fields)");
    KP_CHECK(p.responses == NULL && p.arena.head == NULL);
}

/* Inserts go on the wire between the record bytes, in place, by reference:
 * the frame equals the one of the same records sent whole, v3 and flexible v9. */
static void test_request_inserts(void) {
    static const uint8_t inline_part[] = {'A', 'B', 'C', 'D', 'E'};
    static const uint8_t x[] = {'x', 'x'}, y[] = {'y', 'y', 'y'};
    static const uint8_t whole[] = {'A', 'x', 'x', 'B', 'C', 'y', 'y', 'y', 'D', 'E'};
    kp_buf_insert ins[] = {{.at = 1, .ptr = x, .len = sizeof x}, {.at = 3, .ptr = y, .len = sizeof y}};
    for (int16_t v = 3; v <= 9; v += 6) {
        kp_produce_partition_data split = {4, inline_part, sizeof inline_part, ins, 2};
        kp_produce_partition_data flat = {4, whole, sizeof whole, NULL, 0};
        kp_frame f[2];
        uint8_t bytes[2][128];
        size_t len[2] = {0, 0};
        for (int k = 0; k < 2; k++) {
            kp_produce_topic_data topic = {"t", k ? &flat : &split, 1};
            kp_produce_request req = {NULL, 1, 1000, &topic, 1};
            kp_frame_init(&f[k]);
            KP_CHECK_INT(kp_produce_request_encode(&f[k], v, 5, "kp", &req, NULL), 0);
            struct iovec iov[16];
            int n = kp_frame_iov(&f[k], iov, 16);
            KP_CHECK(n > 0);
            for (int i = 0; i < n; i++) {
                memcpy(bytes[k] + len[k], iov[i].iov_base, iov[i].iov_len);
                len[k] += iov[i].iov_len;
            }
            KP_CHECK_INT(f[k].total_len, len[k]);
        }
        KP_CHECK(len[0] == len[1] && memcmp(bytes[0], bytes[1], len[0]) == 0);
        kp_frame_free(&f[0]);
        kp_frame_free(&f[1]);
    }
    /* Out of order, or past the records: refused. */
    kp_buf_insert bad[] = {{.at = 3, .ptr = x, .len = sizeof x}, {.at = 1, .ptr = y, .len = sizeof y}};
    kp_produce_partition_data part = {0, inline_part, sizeof inline_part, bad, 2};
    kp_produce_topic_data topic = {"t", &part, 1};
    kp_produce_request req = {NULL, 1, 1000, &topic, 1};
    kp_frame f;
    kp_frame_init(&f);
    kp_proto_err perr = {0};
    KP_CHECK(kp_produce_request_encode(&f, 3, 5, "kp", &req, &perr) != 0);
    bad[1].at = 9;
    KP_CHECK(kp_produce_request_encode(&f, 3, 5, "kp", &req, &perr) != 0);
    kp_frame_free(&f);
}

int main(void) {
    KP_RUN(test_request_v3);
    KP_RUN(test_request_inserts);
    KP_RUN(test_request_v9);
    KP_RUN(test_request_every_version);
    KP_RUN(test_request_errors);
    KP_RUN(test_response_v3_to_v8);
    KP_RUN(test_response_v9_v10);
    KP_RUN(test_tag_sizes);
    KP_RUN(test_response_every_version);
    KP_RUN(test_hostile);
    return kp_test_report();
}
