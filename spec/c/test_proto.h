/* test_proto.h — helpers shared by the kp_proto_* tests: comparing a frame
 * with hand-assembled bytes, and hostile-input sweeps over a decoder. */
#ifndef TEST_PROTO_H
#define TEST_PROTO_H

#include <stdlib.h>
#include <string.h>

#include "kp_proto.h"
#include "kp_test.h"

/* A decoder under test: decodes, frees what it got, returns the KP_PROTO_*
 * code. */
typedef int (*tp_decode_fn)(const uint8_t *body, size_t len, int16_t version);

/* The frame's bytes in wire order (malloc'd), built through kp_frame_iov so
 * that the iovec path is what gets checked. */
static inline uint8_t *tp_flatten(const kp_frame *f, size_t *len) {
    struct iovec iov[64];
    int n = kp_frame_iov(f, iov, 64);
    size_t total = 0;
    for (int i = 0; i < n; i++) total += iov[i].iov_len;
    uint8_t *out = malloc(total ? total : 1);
    size_t off = 0;
    for (int i = 0; i < n; i++) {
        memcpy(out + off, iov[i].iov_base, iov[i].iov_len);
        off += iov[i].iov_len;
    }
    *len = total;
    return out;
}

static inline void tp_dump(const char *what, const uint8_t *p, size_t n) {
    fprintf(stderr, "  %s (%zu):", what, n);
    for (size_t i = 0; i < n; i++) fprintf(stderr, "%s%02x", i % 16 ? " " : "\n    ", p[i]);
    fprintf(stderr, "\n");
}

/* Checks that the frame is exactly `expected`, Size prefix included. */
#define TP_CHECK_FRAME(f, expected)                                                                \
    tp_check_frame(__FILE__, __LINE__, (f), (expected), sizeof(expected))

#define TP_CHECK_FRAME_BUF(f, buf) tp_check_frame(__FILE__, __LINE__, (f), (buf)->data, (buf)->len)

static inline void tp_check_frame(const char *file, int line, const kp_frame *f,
                                  const uint8_t *expected, size_t n) {
    size_t len;
    uint8_t *got = tp_flatten(f, &len);
    kp_test_checks++;
    if (len != n || memcmp(got, expected, n) != 0 || f->total_len != n) {
        kp_test_failures++;
        fprintf(stderr, "%s:%d: frame differs from the hand-assembled bytes\n", file, line);
        tp_dump("expected", expected, n);
        tp_dump("got", got, len);
    }
    free(got);
}

/* The same bytes as a request of another version: only request_api_version
 * (frame bytes 6..7) differs, as between Produce v9 and v10. */
#define TP_CHECK_FRAME_AS_VERSION(f, expected, version)                                            \
    do {                                                                                           \
        uint8_t tp_copy_[sizeof(expected)];                                                        \
        memcpy(tp_copy_, (expected), sizeof(expected));                                            \
        tp_copy_[6] = (uint8_t)((version) >> 8);                                                   \
        tp_copy_[7] = (uint8_t)(version);                                                          \
        tp_check_frame(__FILE__, __LINE__, (f), tp_copy_, sizeof(expected));                       \
    } while (0)

/* Checks that a decode succeeded, printing the decoder's own message when not;
 * returns whether it did. */
#define TP_CHECK_DECODED(rc, err) tp_check_decoded(__FILE__, __LINE__, (rc), (err))

static inline int tp_check_decoded(const char *file, int line, int rc, const kp_proto_err *err) {
    char msg[160];
    kp_test_checks++;
    if (rc == 0) return 1;
    kp_test_failures++;
    fprintf(stderr, "%s:%d: decode failed (%d): %s\n", file, line, rc,
            kp_proto_err_format(err, msg, sizeof msg));
    return 0;
}

/* Every proper prefix of a valid message must be rejected. Each prefix sits
 * in an allocation of exactly its size, so ASan sees any over-read. */
static inline void tp_check_truncations(tp_decode_fn fn, const uint8_t *msg, size_t len,
                                        int16_t version) {
    for (size_t n = 0; n < len; n++) {
        uint8_t *copy = malloc(n ? n : 1);
        memcpy(copy, msg, n);
        int rc = fn(copy, n, version);
        free(copy);
        kp_test_checks++;
        if (rc >= 0) {
            kp_test_failures++;
            fprintf(stderr, "v%d: prefix of %zu/%zu bytes decoded without error\n", version, n,
                    len);
        }
    }
}

/* Flips every bit of the message in turn; decoding may succeed or fail but
 * must stay in bounds and leak nothing (ASan/LSan judge). Returns how many
 * flipped messages were rejected. */
static inline int tp_flip_bits(tp_decode_fn fn, const uint8_t *msg, size_t len, int16_t version) {
    int rejected = 0;
    uint8_t *copy = malloc(len ? len : 1);
    for (size_t i = 0; i < len; i++) {
        for (int bit = 0; bit < 8; bit++) {
            memcpy(copy, msg, len);
            copy[i] ^= (uint8_t)(1u << bit);
            if (fn(copy, len, version) < 0) rejected++;
        }
    }
    free(copy);
    return rejected;
}

/* Overwrites a few random bytes with values hostile parsers trip on. */
static inline void tp_mutate(tp_decode_fn fn, const uint8_t *msg, size_t len, int16_t version,
                             int rounds) {
    static const uint8_t nasty[] = {0x00, 0xff, 0x7f, 0x80, 0x01, 0xfe};
    uint32_t seed = 0x9e3779b9u ^ (uint32_t)len ^ ((uint32_t)version << 16);
    uint8_t *copy = malloc(len ? len : 1);
    for (int r = 0; r < rounds && len; r++) {
        memcpy(copy, msg, len);
        int edits = 1 + r % 4;
        for (int k = 0; k < edits; k++) {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            copy[seed % len] = nasty[(seed >> 8) % sizeof nasty];
        }
        (void)fn(copy, len, version);
    }
    free(copy);
}

/* Decodes bytes that must be rejected, in an exact-size copy. */
static inline int tp_decode_copy(tp_decode_fn fn, const uint8_t *msg, size_t len, int16_t version) {
    uint8_t *copy = malloc(len ? len : 1);
    memcpy(copy, msg, len);
    int rc = fn(copy, len, version);
    free(copy);
    return rc;
}

#define TP_CHECK_REJECTS(fn, bytes, version)                                                       \
    KP_CHECK(tp_decode_copy((fn), (bytes), sizeof(bytes), (version)) < 0)

/* Spec-side writers for building expected bytes per version in tests. They
 * sit on kp_buf's primitives, not on the kp_proto encoders under test. */
static inline void tp_w_str(kp_buf *b, int flexible, const char *s) {
    kp_buf_str(b, flexible, s, s ? (int32_t)strlen(s) : -1);
}
static inline void tp_w_tags(kp_buf *b, int flexible) {
    if (flexible) kp_buf_uvarint(b, 0);
}
static inline void tp_w_i32s(kp_buf *b, int flexible, const int32_t *v, int32_t n) {
    kp_buf_array_len(b, flexible, n);
    for (int32_t i = 0; i < n; i++) kp_buf_i32(b, v[i]);
}

/* Runs the whole hostile sweep over one valid message. With trailing_ok the
 * decoder must ignore bytes after a complete body (Metadata, for
 * interoperation), else reject them. */
static inline void tp_hostile_sweep_ex(tp_decode_fn fn, const uint8_t *msg, size_t len,
                                       int16_t version, int trailing_ok) {
    KP_CHECK_INT(tp_decode_copy(fn, msg, len, version), 0);
    KP_CHECK(fn(NULL, 0, version) < 0);
    tp_check_truncations(fn, msg, len, version);
    (void)tp_flip_bits(fn, msg, len, version);
    tp_mutate(fn, msg, len, version, 2000);
    uint8_t *longer = malloc(len + 1);
    memcpy(longer, msg, len);
    longer[len] = 0;
    if (trailing_ok) KP_CHECK_INT(fn(longer, len + 1, version), 0);
    else KP_CHECK(fn(longer, len + 1, version) < 0);
    free(longer);
}

static inline void tp_hostile_sweep(tp_decode_fn fn, const uint8_t *msg, size_t len,
                                    int16_t version) {
    tp_hostile_sweep_ex(fn, msg, len, version, 0);
}

#endif
