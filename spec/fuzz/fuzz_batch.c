/* fuzz_batch.c — libFuzzer target: a run of record batches (as a Produce
 * request's records field holds them) through kp_batch_reader_open/next and
 * kp_record_header_next, compressed batches included.
 *
 * The first byte steers the harness: bit 0 patches each batch's CRC before it
 * is opened and bit 1 sets the first batch's length to the whole input, so
 * that mutations get past those checks into the records; bits 2-4 pick the
 * decompression limit (64 B << 2n, 64 B to 1 MiB). */
#include "fuzz.h"
#include "kp_batch.h"
#include "kp_crc32c.h"

static kp_compressor *cz; /* reused across inputs, as the producer reuses one */

static void put_be32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* What a batch's length field says it spans, or 0 when that is shorter than
 * a header or longer than buf. */
static size_t claimed_size(const uint8_t *buf, size_t len) {
    if (len < KP_BATCH_HEADER_SIZE) return 0;
    const uint8_t *l = buf + KP_BATCH_OFF_LENGTH;
    uint32_t batch_length =
        (uint32_t)l[0] << 24 | (uint32_t)l[1] << 16 | (uint32_t)l[2] << 8 | l[3];
    if (batch_length < KP_BATCH_HEADER_SIZE - KP_BATCH_OFF_LEADER_EPOCH ||
        batch_length > len - KP_BATCH_OFF_LEADER_EPOCH)
        return 0;
    return batch_length + KP_BATCH_OFF_LEADER_EPOCH;
}

static void check_slice(const kp_slice *s) {
    FUZZ_CHECK(s->len >= -1, "a key or value is null or has a length");
    FUZZ_CHECK((s->len == -1) == (s->ptr == NULL), "only a null key or value has no pointer");
    if (s->ptr) fuzz_touch(s->ptr, (size_t)s->len);
}

static void check_headers(const kp_record_view *rec) {
    kp_reader hr;
    kp_reader_init(&hr, rec->headers, rec->headers_len);
    kp_header h;
    int32_t n = 0;
    int rc;
    while ((rc = kp_record_header_next(&hr, &h)) == 1) {
        FUZZ_CHECK(h.key_len >= 0 && h.value_len >= -1, "header lengths are in range");
        fuzz_touch(h.key, (size_t)h.key_len);
        if (h.value) fuzz_touch(h.value, (size_t)h.value_len);
        n++;
    }
    FUZZ_CHECK(rc == 0, "headers that kp_batch_reader_next accepted walk to the end");
    FUZZ_CHECK(n == rec->header_count, "a record holds as many headers as it says");
}

/* Opens the batch at buf[0..len) and reads all of it; returns its size, or 0
 * when it was rejected. */
static size_t read_batch(uint8_t *buf, size_t len, size_t max_plain, int fix_crc) {
    size_t claimed = claimed_size(buf, len);
    if (fix_crc && claimed)
        put_be32(buf + KP_BATCH_OFF_CRC, kp_crc32c(0, buf + KP_BATCH_OFF_ATTRIBUTES,
                                                    claimed - KP_BATCH_OFF_ATTRIBUTES));
    char err[256];
    kp_batch_reader r;
    size_t consumed = 0;
    if (kp_batch_reader_open(&r, buf, len, &consumed, cz, max_plain, err, sizeof err)) {
        FUZZ_CHECK(err[0], "a rejected batch says why");
        kp_batch_reader_close(&r);
        return 0;
    }
    FUZZ_CHECK(consumed == claimed, "an open batch spans what its length says");
    FUZZ_CHECK(r.plain.len <= max_plain, "decompression stays within max_plain");
    kp_record_view rec;
    int rc;
    while ((rc = kp_batch_reader_next(&r, &rec, err, sizeof err)) == 1) {
        check_slice(&rec.key);
        check_slice(&rec.value);
        check_headers(&rec);
    }
    FUZZ_CHECK(rc == 0 || (rc == -1 && err[0]), "a malformed record is reported");
    FUZZ_CHECK(rc == -1 || r.next_index == r.info.records_count,
               "the end comes after every record");
    kp_batch_reader_close(&r);
    return consumed;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) return 0;
    if (!cz && !(cz = kp_compressor_new())) abort();
    uint8_t flags = data[0];
    size_t len = size - 1, max_plain = (size_t)64 << (2 * ((flags >> 2) & 7));
    /* An exact-size copy: the harness may patch it, and ASan sees over-reads. */
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf) return 0;
    memcpy(buf, data + 1, len);
    if ((flags & FUZZ_BATCH_FIX_LENGTH) && len >= KP_BATCH_HEADER_SIZE)
        put_be32(buf + KP_BATCH_OFF_LENGTH, (uint32_t)(len - KP_BATCH_OFF_LEADER_EPOCH));
    for (size_t at = 0, n; at < len; at += n)
        if (!(n = read_batch(buf + at, len - at, max_plain, flags & FUZZ_BATCH_FIX_CRC))) break;
    free(buf);
    return 0;
}
