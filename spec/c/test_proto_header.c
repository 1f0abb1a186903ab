/* test_proto_header.c — version table, request/response headers, the
 * zero-copy frame and codec error messages. */
#include "test_proto.h"

static void test_flexible_versions(void) {
    KP_CHECK_INT(kp_proto_request_flexible(KP_API_PRODUCE, 3), 0);
    KP_CHECK_INT(kp_proto_request_flexible(KP_API_PRODUCE, 8), 0);
    KP_CHECK_INT(kp_proto_request_flexible(KP_API_PRODUCE, 9), 1);
    KP_CHECK_INT(kp_proto_request_flexible(KP_API_PRODUCE, 10), 1);
    KP_CHECK_INT(kp_proto_request_flexible(KP_API_PRODUCE, 2), -1);
    KP_CHECK_INT(kp_proto_request_flexible(KP_API_PRODUCE, 11), -1);
    KP_CHECK_INT(kp_proto_request_flexible(KP_API_METADATA, 0), -1);
    KP_CHECK_INT(kp_proto_request_flexible(KP_API_METADATA, 8), 0);
    KP_CHECK_INT(kp_proto_request_flexible(KP_API_METADATA, 9), 1);
    KP_CHECK_INT(kp_proto_request_flexible(KP_API_METADATA, 12), 1);
    KP_CHECK_INT(kp_proto_request_flexible(KP_API_METADATA, 13), -1);
    KP_CHECK_INT(kp_proto_request_flexible(KP_API_API_VERSIONS, 0), 0);
    KP_CHECK_INT(kp_proto_request_flexible(KP_API_API_VERSIONS, 2), 0);
    KP_CHECK_INT(kp_proto_request_flexible(KP_API_API_VERSIONS, 3), 1);
    KP_CHECK_INT(kp_proto_request_flexible(KP_API_API_VERSIONS, 4), -1);
    KP_CHECK_INT(kp_proto_request_flexible(KP_API_INIT_PRODUCER_ID, 1), 0);
    KP_CHECK_INT(kp_proto_request_flexible(KP_API_INIT_PRODUCER_ID, 2), 1);
    KP_CHECK_INT(kp_proto_request_flexible(KP_API_INIT_PRODUCER_ID, 4), 1);
    KP_CHECK_INT(kp_proto_request_flexible(KP_API_INIT_PRODUCER_ID, 5), -1);
    KP_CHECK_INT(kp_proto_request_flexible(1 /* Fetch */, 4), -1);

    /* ApiVersions answers always carry ResponseHeader v0 */
    KP_CHECK_INT(kp_proto_response_flexible(KP_API_API_VERSIONS, 3), 0);
    KP_CHECK_INT(kp_proto_response_flexible(KP_API_API_VERSIONS, 0), 0);
    KP_CHECK_INT(kp_proto_response_flexible(KP_API_PRODUCE, 8), 0);
    KP_CHECK_INT(kp_proto_response_flexible(KP_API_PRODUCE, 9), 1);
    KP_CHECK_INT(kp_proto_response_flexible(KP_API_METADATA, 9), 1);
    KP_CHECK_INT(kp_proto_response_flexible(KP_API_INIT_PRODUCER_ID, 2), 1);
    KP_CHECK_INT(kp_proto_response_flexible(KP_API_INIT_PRODUCER_ID, 1), 0);
    KP_CHECK_INT(kp_proto_response_flexible(KP_API_INIT_PRODUCER_ID, 9), -1);
}

static void test_version_ranges(void) {
    int16_t lo = 0, hi = 0;
    KP_CHECK_INT(kp_proto_version_range(KP_API_PRODUCE, &lo, &hi), 0);
    KP_CHECK_INT(lo, 3);
    KP_CHECK_INT(hi, 10);
    KP_CHECK_INT(kp_proto_version_range(KP_API_METADATA, &lo, &hi), 0);
    KP_CHECK_INT(lo, 1);
    KP_CHECK_INT(hi, 12);
    KP_CHECK_INT(kp_proto_version_range(KP_API_API_VERSIONS, &lo, &hi), 0);
    KP_CHECK_INT(lo, 0);
    KP_CHECK_INT(hi, 3);
    KP_CHECK_INT(kp_proto_version_range(KP_API_INIT_PRODUCER_ID, &lo, &hi), 0);
    KP_CHECK_INT(lo, 0);
    KP_CHECK_INT(hi, 4);
    KP_CHECK_INT(kp_proto_version_range(1, &lo, &hi), -1);
    KP_CHECK_STR(kp_proto_api_name(KP_API_INIT_PRODUCER_ID), "InitProducerId");
    KP_CHECK_STR(kp_proto_api_name(99), "Unknown");
}

static void test_request_header_v1(void) {
    kp_frame f;
    kp_frame_init(&f);
    KP_CHECK_INT(kp_frame_begin(&f, KP_API_METADATA, 4, 0x01020304, "kp"), 0);
    KP_CHECK_INT(kp_frame_end(&f), 0);
    static const uint8_t expected[] = {
        0x00, 0x00, 0x00, 0x0c, /* Size: 12 */
        0x00, 0x03,             /* request_api_key: Metadata */
        0x00, 0x04,             /* request_api_version */
        0x01, 0x02, 0x03, 0x04, /* correlation_id */
        0x00, 0x02, 'k',  'p',  /* client_id STRING */
    };
    TP_CHECK_FRAME(&f, expected);

    /* null client_id is a -1 length */
    KP_CHECK_INT(kp_frame_begin(&f, KP_API_PRODUCE, 3, 1, NULL), 0);
    KP_CHECK_INT(kp_frame_end(&f), 0);
    static const uint8_t expected_null[] = {0x00, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x03,
                                            0x00, 0x00, 0x00, 0x01, 0xff, 0xff};
    TP_CHECK_FRAME(&f, expected_null);
    kp_frame_free(&f);
}

static void test_request_header_v2(void) {
    kp_frame f;
    kp_frame_init(&f);
    KP_CHECK_INT(kp_frame_begin(&f, KP_API_METADATA, 9, 7, "kp"), 0);
    KP_CHECK_INT(kp_frame_end(&f), 0);
    static const uint8_t expected[] = {
        0x00, 0x00, 0x00, 0x0d, /* Size: 13 */
        0x00, 0x03, 0x00, 0x09, /* Metadata v9 */
        0x00, 0x00, 0x00, 0x07, /* correlation_id */
        0x00, 0x02, 'k',  'p',  /* client_id stays a non-compact STRING */
        0x00,                   /* empty tagged fields */
    };
    TP_CHECK_FRAME(&f, expected);
    kp_frame_free(&f);
}

static void test_frame_begin_errors(void) {
    kp_frame f;
    kp_frame_init(&f);
    KP_CHECK_INT(kp_frame_begin(&f, KP_API_PRODUCE, 2, 1, "kp"), KP_PROTO_EVERSION);
    KP_CHECK_INT(kp_frame_begin(&f, 1 /* Fetch */, 4, 1, "kp"), KP_PROTO_EVERSION);
    char *long_id = malloc(32769);
    memset(long_id, 'a', 32768);
    long_id[32768] = 0;
    KP_CHECK_INT(kp_frame_begin(&f, KP_API_PRODUCE, 3, 1, long_id), KP_PROTO_EMALFORMED);
    long_id[32767] = 0; /* 32767 bytes is the most a STRING can hold */
    KP_CHECK_INT(kp_frame_begin(&f, KP_API_PRODUCE, 3, 1, long_id), 0);
    KP_CHECK_INT(kp_frame_end(&f), 0);
    KP_CHECK_INT(f.total_len, 4 + 8 + 2 + 32767);
    free(long_id);
    kp_frame_free(&f);
}

static void test_frame_splices(void) {
    static const uint8_t abc[] = {'A', 'B', 'C'};
    static const uint8_t de[] = {'D', 'E'};
    static const uint8_t fg[] = {'F', 'G'};
    kp_frame f;
    kp_frame_init(&f);
    KP_CHECK_INT(kp_frame_begin(&f, KP_API_PRODUCE, 3, 2, NULL), 0);
    kp_buf_i8(&f.head, 0x11);
    KP_CHECK_INT(kp_frame_splice(&f, abc, sizeof abc), 0);
    kp_buf_i8(&f.head, 0x22);
    KP_CHECK_INT(kp_frame_splice(&f, de, sizeof de), 0);
    KP_CHECK_INT(kp_frame_splice(&f, fg, 0), 0); /* empty: nothing recorded */
    KP_CHECK_INT(kp_frame_splice(&f, fg, sizeof fg), 0); /* back to back with de */
    KP_CHECK_INT(f.nsplices, 3);
    KP_CHECK_INT(kp_frame_end(&f), 0);

    static const uint8_t expected[] = {
        0x00, 0x00, 0x00, 0x13,                         /* Size: 10 header + 2 head + 7 spliced */
        0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x02, /* Produce v3, correlation_id 2 */
        0xff, 0xff,                                     /* null client_id */
        0x11, 'A',  'B',  'C',  0x22, 'D',  'E',  'F',  'G',
    };
    TP_CHECK_FRAME(&f, expected);

    struct iovec iov[8];
    KP_CHECK_INT(kp_frame_iov_max(&f), 7);
    int n = kp_frame_iov(&f, iov, 8);
    KP_CHECK_INT(n, 5); /* head, abc, head, de, fg: no empty pieces */
    KP_CHECK(iov[1].iov_base == (void *)abc); /* by reference, not copied */
    KP_CHECK(iov[3].iov_base == (void *)de);
    KP_CHECK(iov[4].iov_base == (void *)fg);
    KP_CHECK_INT(iov[0].iov_len, 15);
    KP_CHECK_INT(iov[2].iov_len, 1);
    KP_CHECK_INT(kp_frame_iov(&f, iov, 4), -1);
    KP_CHECK_INT(kp_frame_iov(&f, iov, 0), -1);

    /* reset keeps the memory and forgets the splices */
    kp_frame_reset(&f);
    KP_CHECK_INT(f.nsplices, 0);
    KP_CHECK_INT(f.head.len, 0);
    KP_CHECK_INT(kp_frame_begin(&f, KP_API_PRODUCE, 3, 3, NULL), 0);
    KP_CHECK_INT(kp_frame_end(&f), 0);
    KP_CHECK_INT(kp_frame_iov(&f, iov, 1), 1);
    KP_CHECK_INT(iov[0].iov_len, 14);

    /* many splices grow the table */
    KP_CHECK_INT(kp_frame_begin(&f, KP_API_PRODUCE, 3, 4, NULL), 0);
    for (int i = 0; i < 100; i++) {
        kp_buf_i8(&f.head, (int8_t)i);
        KP_CHECK_INT(kp_frame_splice(&f, abc, sizeof abc), 0);
    }
    KP_CHECK_INT(kp_frame_end(&f), 0);
    KP_CHECK_INT(f.total_len, 14 + 100 * 4);
    struct iovec many[201];
    KP_CHECK_INT(kp_frame_iov(&f, many, kp_frame_iov_max(&f)), 200);
    kp_frame_free(&f);
}

static void test_response_header(void) {
    int32_t corr = 0;
    kp_reader r;

    static const uint8_t v0[] = {0x00, 0x00, 0x00, 0x2a, 0xee};
    kp_reader_init(&r, v0, sizeof v0);
    KP_CHECK_INT(kp_proto_response_header(&r, 0, &corr), 0);
    KP_CHECK_INT(corr, 42);
    KP_CHECK_INT(kp_rd_offset(&r), 4);

    static const uint8_t v1[] = {0x00, 0x00, 0x00, 0x2b, 0x00, 0xee};
    kp_reader_init(&r, v1, sizeof v1);
    KP_CHECK_INT(kp_proto_response_header(&r, 1, &corr), 0);
    KP_CHECK_INT(corr, 43);
    KP_CHECK_INT(kp_rd_offset(&r), 5);

    /* one unknown tagged field of 2 bytes is skipped */
    static const uint8_t v1_tag[] = {0x00, 0x00, 0x00, 0x2c, 0x01, 0x05, 0x02, 0xaa, 0xbb, 0xee};
    kp_reader_init(&r, v1_tag, sizeof v1_tag);
    KP_CHECK_INT(kp_proto_response_header(&r, 1, &corr), 0);
    KP_CHECK_INT(corr, 44);
    KP_CHECK_INT(kp_rd_offset(&r), 9);

    static const uint8_t short_hdr[] = {0x00, 0x00, 0x00};
    kp_reader_init(&r, short_hdr, sizeof short_hdr);
    KP_CHECK_INT(kp_proto_response_header(&r, 0, &corr), -1);
    static const uint8_t bad_tag[] = {0x00, 0x00, 0x00, 0x2c, 0x01, 0x05, 0x09, 0xaa};
    kp_reader_init(&r, bad_tag, sizeof bad_tag);
    KP_CHECK_INT(kp_proto_response_header(&r, 1, &corr), -1);
    kp_reader_init(&r, v0, 4); /* flexible header without its tag section */
    KP_CHECK_INT(kp_proto_response_header(&r, 1, &corr), -1);
}

static void test_err_format(void) {
    char buf[128];
    kp_proto_err e = {.msg = "truncated", .api = "Metadata", .version = 9,
                      .field = "partitions.leader_id", .offset = 37};
    KP_CHECK_STR(kp_proto_err_format(&e, buf, sizeof buf),
                 "Metadata v9: truncated at offset 37 (partitions.leader_id)");
    e.field = NULL;
    KP_CHECK_STR(kp_proto_err_format(&e, buf, sizeof buf), "Metadata v9: truncated");
    KP_CHECK_STR(kp_proto_err_format(&e, buf, 9), "Metadata");
    KP_CHECK(kp_proto_err_format(&e, buf, 0) == buf);
}

int main(void) {
    KP_RUN(test_flexible_versions);
    KP_RUN(test_version_ranges);
    KP_RUN(test_request_header_v1);
    KP_RUN(test_request_header_v2);
    KP_RUN(test_frame_begin_errors);
    KP_RUN(test_frame_splices);
    KP_RUN(test_response_header);
    KP_RUN(test_err_format);
    return kp_test_report();
}
