/* test_buf.c — kp_buf writers (varints, strings, placeholders) and the bounded reader. */
#include <stdlib.h>

#include "kp_buf.h"
#include "kp_test.h"

/* Known encodings from the protocol guide's varint section (zig-zag + LEB128). */
static void test_varint_vectors(void) {
    static const struct {
        int64_t v;
        uint8_t bytes[10];
        int n;
    } cases[] = {
        {0, {0x00}, 1},          {-1, {0x01}, 1},         {1, {0x02}, 1},
        {-2, {0x03}, 1},         {63, {0x7e}, 1},         {-64, {0x7f}, 1},
        {64, {0x80, 0x01}, 2},   {300, {0xd8, 0x04}, 2},  {-65, {0x81, 0x01}, 2},
        {INT32_MAX, {0xfe, 0xff, 0xff, 0xff, 0x0f}, 5},
        {INT32_MIN, {0xff, 0xff, 0xff, 0xff, 0x0f}, 5},
        {INT64_MAX, {0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, 10},
        {INT64_MIN, {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, 10},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        kp_buf b;
        kp_buf_init(&b, 0);
        kp_buf_varint(&b, cases[i].v);
        KP_CHECK_INT(b.len, cases[i].n);
        KP_CHECK_INT(kp_varint_size(cases[i].v), cases[i].n);
        if (b.len == (size_t)cases[i].n) KP_CHECK_MEM(b.data, cases[i].bytes, b.len);
        kp_reader r;
        kp_reader_init(&r, b.data, b.len);
        KP_CHECK(kp_rd_varint(&r) == cases[i].v);
        KP_CHECK(r.err == NULL && kp_rd_remaining(&r) == 0);
        kp_buf_free(&b);
    }
}

static void test_uvarint_roundtrip(void) {
    kp_buf b;
    kp_buf_init(&b, 0);
    uint64_t v = 1;
    for (int i = 0; i < 64; i++, v = v * 3 + 1) kp_buf_uvarint(&b, v);
    kp_reader r;
    kp_reader_init(&r, b.data, b.len);
    v = 1;
    for (int i = 0; i < 64; i++, v = v * 3 + 1) {
        KP_CHECK(kp_rd_uvarint(&r) == v);
    }
    KP_CHECK(r.err == NULL);
    /* Eleven continuation bytes are longer than any 64-bit varint. */
    uint8_t endless[11];
    memset(endless, 0x80, sizeof endless);
    kp_reader_init(&r, endless, sizeof endless);
    (void)kp_rd_uvarint(&r);
    KP_CHECK(r.err != NULL);
    kp_buf_free(&b);
}

static void test_fixed_width_big_endian(void) {
    kp_buf b;
    kp_buf_init(&b, 0);
    kp_buf_i8(&b, -2);
    kp_buf_i16(&b, 0x1234);
    kp_buf_i32(&b, -2);
    kp_buf_i64(&b, 0x0102030405060708LL);
    static const uint8_t want[] = {0xfe, 0x12, 0x34, 0xff, 0xff, 0xff, 0xfe,
                                   1, 2, 3, 4, 5, 6, 7, 8};
    KP_CHECK_INT(b.len, sizeof want);
    KP_CHECK_MEM(b.data, want, sizeof want);
    kp_reader r;
    kp_reader_init(&r, b.data, b.len);
    KP_CHECK_INT(kp_rd_i8(&r), -2);
    KP_CHECK_INT(kp_rd_i16(&r), 0x1234);
    KP_CHECK_INT(kp_rd_i32(&r), -2);
    KP_CHECK(kp_rd_i64(&r) == 0x0102030405060708LL);
    KP_CHECK(r.err == NULL);
    /* Reading past the end fails, sticks, and yields zeros. */
    KP_CHECK_INT(kp_rd_i32(&r), 0);
    KP_CHECK(r.err != NULL);
    KP_CHECK_INT(kp_rd_i8(&r), 0);
    kp_buf_free(&b);
}

static void test_strings_and_bytes(void) {
    kp_buf b;
    kp_buf_init(&b, 0);
    kp_buf_string(&b, "kafka", 5);
    kp_buf_string(&b, NULL, -1);
    kp_buf_compact_string(&b, "ab", 2);
    kp_buf_compact_string(&b, NULL, -1);
    kp_buf_bytes(&b, "xyz", 3);
    kp_buf_compact_bytes(&b, "", 0);
    static const uint8_t want[] = {0, 5, 'k', 'a', 'f', 'k', 'a', 0xff, 0xff, 3, 'a', 'b', 0,
                                   0, 0, 0, 3, 'x', 'y', 'z', 1};
    KP_CHECK_INT(b.len, sizeof want);
    KP_CHECK_MEM(b.data, want, sizeof want);
    kp_reader r;
    kp_reader_init(&r, b.data, b.len);
    kp_slice s;
    kp_rd_str(&r, 0, &s);
    KP_CHECK(s.len == 5 && !memcmp(s.ptr, "kafka", 5));
    kp_rd_str(&r, 0, &s);
    KP_CHECK(s.ptr == NULL && s.len == -1);
    kp_rd_str(&r, 1, &s);
    KP_CHECK(s.len == 2 && !memcmp(s.ptr, "ab", 2));
    kp_rd_str(&r, 1, &s);
    KP_CHECK(s.ptr == NULL);
    kp_rd_bytes(&r, 0, &s);
    KP_CHECK(s.len == 3 && !memcmp(s.ptr, "xyz", 3));
    kp_rd_bytes(&r, 1, &s);
    KP_CHECK(s.len == 0 && s.ptr != NULL);
    KP_CHECK(r.err == NULL && kp_rd_remaining(&r) == 0);
    /* A STRING longer than int16 cannot be written: the buffer says so. */
    char *big = calloc(40000, 1);
    kp_buf_reset(&b);
    kp_buf_string(&b, big, 40000);
    KP_CHECK(!kp_buf_ok(&b));
    free(big);
    kp_buf_free(&b);
}

static void test_placeholder_patch(void) {
    kp_buf b;
    kp_buf_init(&b, 2); /* force growth after the placeholder */
    size_t at = kp_buf_placeholder(&b, 4);
    for (int i = 0; i < 1000; i++) kp_buf_i8(&b, (int8_t)i);
    kp_buf_patch_i32(&b, at, (int32_t)(b.len - 4));
    kp_reader r;
    kp_reader_init(&r, b.data, b.len);
    KP_CHECK_INT(kp_rd_i32(&r), 1000);
    size_t len;
    uint8_t *owned = kp_buf_detach(&b, &len);
    KP_CHECK_INT(len, 1004);
    KP_CHECK(b.data == NULL && b.len == 0);
    free(owned);
}

/* Lengths and counts that point past the frame fail without reading it. */
static void test_hostile_lengths(void) {
    static const uint8_t str_past_end[] = {0x00, 0x10, 'a'};
    static const uint8_t negative_str[] = {0xff, 0xfe};
    static const uint8_t bytes_past_end[] = {0x7f, 0xff, 0xff, 0xff, 0};
    static const uint8_t huge_array[] = {0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 0};
    static const uint8_t negative_array[] = {0xff, 0xff, 0xff, 0xfe};
    static const uint8_t compact_past_end[] = {0x05, 'a'};
    static const uint8_t tags_past_end[] = {0x01, 0x00, 0x09, 'x'};
    kp_reader r;
    kp_slice s;
    kp_reader_init(&r, str_past_end, sizeof str_past_end);
    kp_rd_str(&r, 0, &s);
    KP_CHECK(r.err != NULL);
    kp_reader_init(&r, negative_str, sizeof negative_str);
    kp_rd_str(&r, 0, &s);
    KP_CHECK(r.err != NULL);
    kp_reader_init(&r, bytes_past_end, sizeof bytes_past_end);
    kp_rd_bytes(&r, 0, &s);
    KP_CHECK(r.err != NULL);
    kp_reader_init(&r, huge_array, sizeof huge_array);
    (void)kp_rd_array_len(&r, 0, 4);
    KP_CHECK(r.err != NULL);
    kp_reader_init(&r, negative_array, sizeof negative_array);
    (void)kp_rd_array_len(&r, 0, 1);
    KP_CHECK(r.err != NULL);
    kp_reader_init(&r, compact_past_end, sizeof compact_past_end);
    kp_rd_str(&r, 1, &s);
    KP_CHECK(r.err != NULL);
    kp_reader_init(&r, tags_past_end, sizeof tags_past_end);
    kp_rd_skip_tags(&r);
    KP_CHECK(r.err != NULL);
    kp_reader_init(&r, NULL, 0);
    KP_CHECK_INT(kp_rd_remaining(&r), 0);
    (void)kp_rd_i8(&r);
    KP_CHECK(r.err != NULL);
}

int main(void) {
    KP_RUN(test_varint_vectors);
    KP_RUN(test_uvarint_roundtrip);
    KP_RUN(test_fixed_width_big_endian);
    KP_RUN(test_strings_and_bytes);
    KP_RUN(test_placeholder_patch);
    KP_RUN(test_hostile_lengths);
    return kp_test_report();
}
