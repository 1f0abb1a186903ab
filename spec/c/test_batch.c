/* test_batch.c — record batch v2 builder, sealing with each codec, and decoder. */
#include <stdlib.h>
#include <string.h>

#include "kp_batch.h"
#include "kp_crc32c.h"
#include "kp_test.h"

static char err[256];

/* One record, hand-assembled from the protocol guide's layout. */
static void test_single_record_bytes(void) {
    kp_batch_builder b;
    KP_CHECK_INT(kp_batch_init(&b, 128), 0);
    kp_header h = {"h", 1, "x", 1};
    KP_CHECK_INT(kp_batch_append(&b, 1700000000000LL, "k", 1, "vv", 2, &h, 1), 0);
    kp_buf scratch;
    kp_buf_init(&scratch, 0);
    kp_batch_producer prod = {1234, 5, 42, 0};
    KP_CHECK_INT(kp_batch_seal(&b, KP_CODEC_NONE, 0, NULL, &prod, &scratch, err, sizeof err), 0);

    static const uint8_t record[] = {
        0x1a,       /* length 13, zig-zag */
        0x00,       /* attributes */
        0x00,       /* timestampDelta 0 */
        0x00,       /* offsetDelta 0 */
        0x02, 'k',  /* key length 1 */
        0x04, 'v', 'v', /* value length 2 */
        0x02,       /* 1 header */
        0x02, 'h', 0x02, 'x',
    };
    uint8_t expect[61 + sizeof record] = {
        0, 0, 0, 0, 0, 0, 0, 0,             /* baseOffset */
        0, 0, 0, 49 + sizeof record,        /* batchLength */
        0xff, 0xff, 0xff, 0xff,             /* partitionLeaderEpoch */
        2,                                  /* magic */
        0, 0, 0, 0,                         /* crc, filled below */
        0, 0,                               /* attributes */
        0, 0, 0, 0,                         /* lastOffsetDelta */
        0x00, 0x00, 0x01, 0x8b, 0xcf, 0xe5, 0x68, 0x00, /* baseTimestamp */
        0x00, 0x00, 0x01, 0x8b, 0xcf, 0xe5, 0x68, 0x00, /* maxTimestamp */
        0, 0, 0, 0, 0, 0, 0x04, 0xd2,       /* producerId 1234 */
        0, 5,                               /* producerEpoch */
        0, 0, 0, 42,                        /* baseSequence */
        0, 0, 0, 1,                         /* records count */
    };
    memcpy(expect + 61, record, sizeof record);
    uint32_t crc = kp_crc32c(0, expect + 21, sizeof expect - 21);
    expect[17] = (uint8_t)(crc >> 24);
    expect[18] = (uint8_t)(crc >> 16);
    expect[19] = (uint8_t)(crc >> 8);
    expect[20] = (uint8_t)crc;
    KP_CHECK_INT(b.buf.len, sizeof expect);
    if (b.buf.len == sizeof expect) KP_CHECK_MEM(b.buf.data, expect, sizeof expect);
    kp_buf_free(&scratch);
    kp_batch_free(&b);
}

/* Builds a batch of n records (some null keys/values, headers) with `codec`,
 * decodes it and checks every field comes back. */
static void roundtrip(kp_codec codec, int n) {
    kp_batch_builder b;
    kp_batch_init(&b, 1024);
    kp_compressor *cz = kp_compressor_new();
    char key[32], val[300];
    for (int i = 0; i < n; i++) {
        int kl = snprintf(key, sizeof key, "key-%d", i);
        int vl = snprintf(val, sizeof val, "value-%d-%0*d", i, i % 200, 7);
        kp_header hs[2] = {{"trace", 5, key, kl}, {"nullv", 5, NULL, -1}};
        const void *k = (i % 7 == 3) ? NULL : key;
        const void *v = (i % 11 == 5) ? NULL : val;
        KP_CHECK_INT(kp_batch_append(&b, 1000 + i * 3 - (i % 5), k, kl, v, vl, hs, i % 3), 0);
    }
    kp_buf scratch;
    kp_buf_init(&scratch, 0);
    KP_CHECK_INT(kp_batch_seal(&b, codec, KP_LEVEL_DEFAULT, cz, NULL, &scratch, err, sizeof err), 0);

    kp_batch_reader r;
    size_t used = 0;
    int rc = kp_batch_reader_open(&r, b.buf.data, b.buf.len, &used, cz, 64 << 20, err, sizeof err);
    KP_CHECK_INT(rc, 0);
    if (rc) fprintf(stderr, "%s\n", err);
    KP_CHECK_INT(used, b.buf.len);
    KP_CHECK_INT(r.info.records_count, n);
    KP_CHECK_INT(r.info.attributes & 7, codec);
    KP_CHECK_INT(r.info.producer_id, -1);
    KP_CHECK_INT(r.info.last_offset_delta, n - 1);
    kp_record_view rec;
    int i = 0;
    while ((rc = kp_batch_reader_next(&r, &rec, err, sizeof err)) == 1) {
        int kl = snprintf(key, sizeof key, "key-%d", i);
        int vl = snprintf(val, sizeof val, "value-%d-%0*d", i, i % 200, 7);
        KP_CHECK_INT(rec.offset, i);
        KP_CHECK_INT(rec.timestamp, 1000 + i * 3 - (i % 5));
        if (i % 7 == 3) KP_CHECK(rec.key.ptr == NULL && rec.key.len == -1);
        else KP_CHECK(rec.key.len == kl && memcmp(rec.key.ptr, key, (size_t)kl) == 0);
        if (i % 11 == 5) KP_CHECK(rec.value.ptr == NULL);
        else KP_CHECK(rec.value.len == vl && memcmp(rec.value.ptr, val, (size_t)vl) == 0);
        KP_CHECK_INT(rec.header_count, i % 3);
        kp_reader hr;
        kp_reader_init(&hr, rec.headers, rec.headers_len);
        kp_header h;
        for (int k = 0; k < rec.header_count; k++) {
            KP_CHECK_INT(kp_record_header_next(&hr, &h), 1);
            if (k == 0) KP_CHECK(h.key_len == 5 && h.value_len == kl && !memcmp(h.value, key, (size_t)kl));
            if (k == 1) KP_CHECK(h.value == NULL && h.value_len == -1);
        }
        i++;
    }
    KP_CHECK_INT(rc, 0);
    KP_CHECK_INT(i, n);
    kp_batch_reader_close(&r);
    kp_buf_free(&scratch);
    kp_batch_free(&b);
    kp_compressor_free(cz);
}

static void test_roundtrip_each_codec(void) {
    kp_codec codecs[] = {KP_CODEC_NONE, KP_CODEC_GZIP, KP_CODEC_SNAPPY, KP_CODEC_LZ4, KP_CODEC_ZSTD};
    for (size_t c = 0; c < sizeof codecs / sizeof *codecs; c++) {
        roundtrip(codecs[c], 1);
        roundtrip(codecs[c], 1000);
    }
}

static void test_record_size_matches(void) {
    kp_batch_builder b;
    kp_batch_init(&b, 0);
    kp_header h = {"a", 1, "bcd", 3};
    size_t before = kp_batch_size(&b);
    kp_batch_append(&b, 5, "key", 3, "value", 5, &h, 1);
    KP_CHECK_INT(kp_batch_size(&b) - before, kp_record_size(0, 0, 3, 5, &h, 1));
    before = kp_batch_size(&b);
    kp_batch_append(&b, 100005, NULL, 0, "value", 5, NULL, 0);
    KP_CHECK_INT(kp_batch_size(&b) - before, kp_record_size(100000, 1, -1, 5, NULL, 0));
    KP_CHECK(kp_record_size_upper_bound(3, 5, &h, 1) >= kp_record_size(1LL << 40, 1 << 30, 3, 5, &h, 1));
    kp_batch_free(&b);
}

/* A batch holds exactly the capacity buffer.memory was charged for, and
 * records that fit under it never reallocate it: a 64 KiB batch rounded up
 * to 128 KiB doubled the memory of every full batch. */
static void test_capacity_is_exact(void) {
    const size_t batch_size = 65536, capacity = batch_size + 8; /* the accumulator's slack */
    kp_batch_builder b;
    KP_CHECK_INT(kp_batch_init(&b, capacity), 0);
    KP_CHECK_INT(b.buf.cap, capacity);
    char value[100];
    memset(value, 'v', sizeof value);
    int n = 0;
    for (;;) {
        size_t rs = kp_record_size(0, n, 3, sizeof value, NULL, 0);
        if (kp_batch_size(&b) + rs > batch_size) break;
        KP_CHECK_INT(kp_batch_append(&b, 0, "key", 3, value, sizeof value, NULL, 0), 0);
        n++;
    }
    KP_CHECK(n > 500);
    KP_CHECK_INT(b.buf.cap, capacity);
    kp_batch_free(&b);
}

static void test_restamp_keeps_crc_valid(void) {
    kp_batch_builder b;
    kp_batch_init(&b, 0);
    kp_batch_append(&b, 1, "k", 1, "v", 1, NULL, 0);
    kp_buf scratch;
    kp_buf_init(&scratch, 0);
    kp_batch_seal(&b, KP_CODEC_NONE, 0, NULL, NULL, &scratch, err, sizeof err);
    kp_batch_producer p = {77, 3, 1000, 0};
    kp_batch_restamp(&b, &p);
    kp_batch_reader r;
    size_t used;
    KP_CHECK_INT(kp_batch_reader_open(&r, b.buf.data, b.buf.len, &used, NULL, 1 << 20, err, sizeof err), 0);
    KP_CHECK_INT(r.info.producer_id, 77);
    KP_CHECK_INT(r.info.producer_epoch, 3);
    KP_CHECK_INT(r.info.base_sequence, 1000);
    kp_batch_reader_close(&r);
    kp_buf_free(&scratch);
    kp_batch_free(&b);
}

/* Every truncation, and every single-byte corruption, must be rejected or
 * decoded without reading out of bounds (ASan watches). */
static void test_hostile_batches(void) {
    kp_codec codecs[] = {KP_CODEC_NONE, KP_CODEC_LZ4, KP_CODEC_ZSTD, KP_CODEC_SNAPPY, KP_CODEC_GZIP};
    for (size_t c = 0; c < sizeof codecs / sizeof *codecs; c++) {
        kp_batch_builder b;
        kp_batch_init(&b, 0);
        kp_compressor *cz = kp_compressor_new();
        for (int i = 0; i < 20; i++) {
            kp_header h = {"hh", 2, "vv", 2};
            kp_batch_append(&b, i, "key", 3, "some value", 10, &h, 1);
        }
        kp_buf scratch;
        kp_buf_init(&scratch, 0);
        kp_batch_seal(&b, codecs[c], KP_LEVEL_DEFAULT, cz, NULL, &scratch, err, sizeof err);
        size_t n = b.buf.len;
        for (size_t len = 0; len < n; len++) {
            uint8_t *copy = malloc(len ? len : 1);
            memcpy(copy, b.buf.data, len);
            kp_batch_reader r;
            size_t used;
            KP_CHECK(kp_batch_reader_open(&r, copy, len, &used, cz, 1 << 20, err, sizeof err) != 0);
            kp_batch_reader_close(&r);
            free(copy);
        }
        uint8_t *copy = malloc(n);
        for (size_t pos = 0; pos < n; pos++) {
            memcpy(copy, b.buf.data, n);
            copy[pos] ^= 0x5a;
            /* Recompute the CRC so corruption reaches the record parser too. */
            if (pos >= 21) {
                uint32_t crc = kp_crc32c(0, copy + 21, n - 21);
                copy[17] = (uint8_t)(crc >> 24), copy[18] = (uint8_t)(crc >> 16);
                copy[19] = (uint8_t)(crc >> 8), copy[20] = (uint8_t)crc;
            }
            kp_batch_reader r;
            size_t used;
            kp_record_view rec;
            if (kp_batch_reader_open(&r, copy, n, &used, cz, 1 << 20, err, sizeof err) == 0)
                while (kp_batch_reader_next(&r, &rec, err, sizeof err) == 1) {}
            kp_batch_reader_close(&r);
        }
        free(copy);
        kp_buf_free(&scratch);
        kp_batch_free(&b);
        kp_compressor_free(cz);
    }
}

/* Values referenced in blobs (two blobs, interleaved with copied values,
 * nulls and headers) give the very bytes of the same batch built by copying,
 * with every codec; a compressed batch then holds no blob, and restamping a
 * referencing batch keeps its CRC right. Every reference is dropped by free. */
static void test_referenced_values_match_copied(void) {
    char pool[2][4096];
    for (int k = 0; k < 2; k++)
        for (size_t i = 0; i < sizeof pool[k]; i++) pool[k][i] = (char)((i * (k + 3)) % 251);
    kp_blob *blob[2] = {kp_blob_new(pool[0], sizeof pool[0]), kp_blob_new(pool[1], sizeof pool[1])};
    kp_codec codecs[] = {KP_CODEC_NONE, KP_CODEC_GZIP, KP_CODEC_SNAPPY, KP_CODEC_LZ4, KP_CODEC_ZSTD};
    kp_compressor *cz = kp_compressor_new();
    kp_buf scratch, wire;
    kp_buf_init(&scratch, 0);
    kp_buf_init(&wire, 0);
    for (size_t c = 0; c < sizeof codecs / sizeof *codecs; c++) {
        kp_batch_builder copied, referenced;
        kp_batch_init(&copied, 64);
        kp_batch_init(&referenced, 64);
        for (int i = 0; i < 40; i++) {
            int k = (i / 3) % 2, off = (i * 97) % 2000, len = 600 + i * 31;
            kp_header h = {"h", 1, "x", 1};
            const char *key = i % 4 ? "key" : NULL;
            int64_t ts = 5000 + i;
            KP_CHECK_INT(kp_batch_append(&copied, ts, key, 3, pool[k] + off, len, &h, i % 2), 0);
            if (i % 5 == 4) /* some copied, some null, the rest referenced */
                KP_CHECK_INT(kp_batch_append(&referenced, ts, key, 3, pool[k] + off, len, &h, i % 2), 0);
            else { /* some with the value's CRC known, as a slice sent again has it */
                kp_crc32c_piece piece = kp_crc32c_piece_of(pool[k] + off, (size_t)len);
                KP_CHECK_INT(kp_batch_append_ref(&referenced, ts, key, 3, blob[k], (size_t)off, len,
                                                 i % 3 ? &piece : NULL, &h, i % 2), 0);
            }
        }
        KP_CHECK_INT(kp_batch_append(&copied, 6000, "k", 1, NULL, -1, NULL, 0), 0);
        KP_CHECK_INT(kp_batch_append(&referenced, 6000, "k", 1, NULL, -1, NULL, 0), 0);
        KP_CHECK_INT(kp_batch_size(&referenced), kp_batch_size(&copied));
        KP_CHECK(kp_batch_inline_size(&referenced) < kp_batch_size(&copied) / 4);
        KP_CHECK(blob[0]->refs > 1 && blob[1]->refs > 1);
        kp_batch_producer prod = {77, 2, 1000, 0};
        KP_CHECK_INT(kp_batch_seal(&copied, codecs[c], KP_LEVEL_DEFAULT, cz, &prod, &scratch, err, sizeof err), 0);
        KP_CHECK_INT(kp_batch_seal(&referenced, codecs[c], KP_LEVEL_DEFAULT, cz, &prod, &scratch, err, sizeof err), 0);
        kp_buf_reset(&wire);
        KP_CHECK_INT(kp_batch_copy_wire(&referenced, &wire), 0);
        KP_CHECK_INT(wire.len, copied.buf.len);
        if (wire.len == copied.buf.len) KP_CHECK_MEM(wire.data, copied.buf.data, wire.len);
        if (codecs[c] != KP_CODEC_NONE) {
            KP_CHECK_INT(referenced.next, 0);
            KP_CHECK_INT(blob[0]->refs + blob[1]->refs, 2);
        } else {
            kp_batch_producer again = {78, 0, 0, 1};
            kp_batch_restamp(&copied, &again);
            kp_batch_restamp(&referenced, &again);
            kp_buf_reset(&wire);
            KP_CHECK_INT(kp_batch_copy_wire(&referenced, &wire), 0);
            KP_CHECK(wire.len == copied.buf.len && !memcmp(wire.data, copied.buf.data, wire.len));
        }
        kp_batch_free(&copied);
        kp_batch_free(&referenced);
        KP_CHECK_INT(blob[0]->refs + blob[1]->refs, 2);
    }
    /* A range outside the blob is refused, the batch unchanged. */
    kp_batch_builder b;
    kp_batch_init(&b, 64);
    KP_CHECK_INT(kp_batch_append_ref(&b, 1, NULL, 0, blob[0], 4000, 97, NULL, NULL, 0), -1);
    KP_CHECK_INT(kp_batch_append_ref(&b, 1, NULL, 0, blob[0], 5000, 0, NULL, NULL, 0), -1);
    KP_CHECK_INT(b.count, 0);
    kp_batch_free(&b);
    kp_buf_free(&wire);
    kp_buf_free(&scratch);
    kp_compressor_free(cz);
    kp_blob_unref(blob[0]);
    kp_blob_unref(blob[1]);
}

int main(void) {
    KP_RUN(test_single_record_bytes);
    KP_RUN(test_roundtrip_each_codec);
    KP_RUN(test_record_size_matches);
    KP_RUN(test_capacity_is_exact);
    KP_RUN(test_restamp_keeps_crc_valid);
    KP_RUN(test_hostile_batches);
    KP_RUN(test_referenced_values_match_copied);
    return kp_test_report();
}
